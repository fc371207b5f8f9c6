"""When a notification may go: quiet hours for SMS, and the backoff after a failed send."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def _quiet_bounds() -> tuple[dt.time, dt.time] | None:
    """The configured quiet hours (local time), or None when they are switched off
    (either bound empty, or both the same)."""
    start = settings.NOTIFICATIONS_QUIET_HOURS_START
    end = settings.NOTIFICATIONS_QUIET_HOURS_END
    if not start or not end or start == end:
        return None
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def quiet_hours_end(moment: dt.datetime) -> dt.datetime | None:
    """When the quiet hours around ``moment`` end, or None if ``moment`` is outside them.

    The default 21:00–08:00 wraps midnight: 22:00 and 07:00 are both inside, and end at
    the next 08:00 (the same day's for 07:00, the next day's for 22:00)."""
    bounds = _quiet_bounds()
    if bounds is None:
        return None
    start, end = bounds
    local = timezone.localtime(moment)
    now = local.time()
    wraps = start > end
    inside = (now >= start or now < end) if wraps else (start <= now < end)
    if not inside:
        return None
    day = local.date() + dt.timedelta(days=1) if wraps and now >= start else local.date()
    return dt.datetime.combine(day, end, tzinfo=local.tzinfo)


def sms_not_before(moment: dt.datetime) -> dt.datetime:
    """The earliest an SMS due at ``moment`` may be sent: after the quiet hours."""
    return quiet_hours_end(moment) or moment


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed send: doubling from the base,
    never longer than the maximum."""
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.NOTIFICATIONS_RETRY_MAX_SECONDS)
    return dt.timedelta(seconds=seconds)
