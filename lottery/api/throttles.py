"""The failure limits of the public application lookup and appeal (number + the last
four characters of the ID), in the pattern of case tracking (``citizens.throttles``):
failures are counted, not requests, per trusted client address (a forged
``X-Forwarded-For`` counts for the real peer) and per application whose suffix is being
guessed (from any address). A blocked request is answered before anything is read.

Counted in Django's cache (Redis in full mode, so every process counts together); the
portal's lookup page may share these counts by using the same limits."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _

from citizens.throttles import FailureLimit, client_ident

# Unknown numbers and wrong suffixes from one client address.
LOOKUP_CLIENT_FAILURES = FailureLimit(
    "lottery-lookup-failures",
    "LOTTERY_LOOKUP_FAILURE_LIMIT",
    10,
    "LOTTERY_LOOKUP_FAILURE_WINDOW_SECONDS",
    600,
)
# Wrong suffixes typed for one existing application, from any address.
LOOKUP_APPLICATION_FAILURES = FailureLimit(
    "lottery-application-failures",
    "LOTTERY_APPLICATION_FAILURE_LIMIT",
    20,
    "LOTTERY_APPLICATION_FAILURE_WINDOW_SECONDS",
    86400,
)


@dataclass(frozen=True)
class LookupBlock:
    message: str
    retry_after: int


def lookup_blocked(*, request: HttpRequest, application_no: str) -> LookupBlock | None:
    """Why this lookup is refused before anything is read, if it is."""
    if LOOKUP_CLIENT_FAILURES.is_blocked(client_ident(request)):
        return LookupBlock(_("查询失败次数过多，请稍后再试。"), LOOKUP_CLIENT_FAILURES.window)
    if LOOKUP_APPLICATION_FAILURES.is_blocked(application_no):
        return LookupBlock(
            _(
                "该申请的证件号码后四位输错次数过多，查询已暂停。"
                "申请人可登录个人中心查看，或到窗口查询。"
            ),
            LOOKUP_APPLICATION_FAILURES.window,
        )
    return None


def lookup_failure_record(*, request: HttpRequest, application_no: str, exists: bool) -> None:
    """Count a miss: always for the address; for the application only when it exists (an
    unknown number has nothing to protect, and counting it would let anyone fill the
    cache)."""
    LOOKUP_CLIENT_FAILURES.record(client_ident(request))
    if exists:
        LOOKUP_APPLICATION_FAILURES.record(application_no)
