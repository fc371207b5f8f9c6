"""How many tickets one client address may ask for: every take attempt counts (a valid
one too), per trusted client address (``onewindow.client_address``: a forged
``X-Forwarded-For`` counts for the real peer), in Django's cache like the citizens'
limits (``citizens.throttles.FailureLimit``; Redis in full mode, so every process counts
together).

The phone page is for one person's few tickets; the kiosk is one device for the whole
hall, so it has its own, much larger limit. Phones on the hall's Wi-Fi share its public
address: set ``HALL_PHONE_TAKE_LIMIT`` to what the busiest hour needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _

from citizens.throttles import FailureLimit, client_ident

PHONE_TAKES = FailureLimit(
    "hall-phone-takes", "HALL_PHONE_TAKE_LIMIT", 30, "HALL_PHONE_TAKE_WINDOW_SECONDS", 600
)
KIOSK_TAKES = FailureLimit(
    "hall-kiosk-takes", "HALL_KIOSK_TAKE_LIMIT", 600, "HALL_KIOSK_TAKE_WINDOW_SECONDS", 600
)


@dataclass(frozen=True)
class TakeBlock:
    message: str
    retry_after: int


def take_blocked(*, request: HttpRequest, limit: FailureLimit) -> TakeBlock | None:
    """Why this take is refused before anything is read, if it is."""
    if limit.is_blocked(client_ident(request)):
        return TakeBlock(_("取号请求过于频繁，请稍后再试。"), limit.window)
    return None


def take_record(*, request: HttpRequest, limit: FailureLimit) -> None:
    limit.record(client_ident(request))
