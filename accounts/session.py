"""A staff session's lifetime: at most ``SESSION_COOKIE_AGE`` after sign-in (a working
day), and over after ``STAFF_IDLE_TIMEOUT_SECONDS`` without a request.

The session holds when it was first seen signed in and when it was last used. The
last use is written at most once a minute, so a busy clerk's pages do not each write
the session row.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

SIGNED_IN_AT_KEY = "staff_signed_in_at"
LAST_SEEN_KEY = "staff_last_seen"
TOUCH_EVERY_SECONDS = 60


def staff_session_is_over(session: SessionBase, *, now: int) -> bool:
    """Idle too long, or signed in longer than a session may last."""
    last_seen = session.get(LAST_SEEN_KEY)
    if last_seen is not None and now - int(last_seen) > settings.STAFF_IDLE_TIMEOUT_SECONDS:
        return True
    signed_in_at = session.get(SIGNED_IN_AT_KEY)
    return signed_in_at is not None and now - int(signed_in_at) > settings.SESSION_COOKIE_AGE


def staff_session_touch(session: SessionBase, *, now: int) -> None:
    """Note a request of a signed-in staff member (the first one starts the clock)."""
    session.setdefault(SIGNED_IN_AT_KEY, now)
    last_seen = session.get(LAST_SEEN_KEY)
    if last_seen is None or now - int(last_seen) >= TOUCH_EVERY_SECONDS:
        session[LAST_SEEN_KEY] = now
