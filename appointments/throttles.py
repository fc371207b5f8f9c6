"""The kiosk's check-in limit, per trusted client address (``onewindow.client_address``).

Only failures count (a number that is not this centre's, or not a number at all): a
kiosk in the hall checks in hundreds of people a day from one address and must never be
slowed down by them, while a client trying numbers is stopped after a few misses. The
counts live in Django's cache, shared by every process in full mode (Redis), like the
portal's sign-in limits (``citizens.throttles.FailureLimit``).
"""

from __future__ import annotations

from citizens.throttles import FailureLimit

CHECK_IN_FAILURES = FailureLimit(
    "appointment-check-in-failures",
    "APPOINTMENT_CHECK_IN_FAILURE_LIMIT",
    20,
    "APPOINTMENT_CHECK_IN_WINDOW_SECONDS",
    600,
)
