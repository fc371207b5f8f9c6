"""The public tracking throttle's counts (``TrackFailure``): one row per client address."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from ..models import TrackFailure

# One statement, atomic on both databases (SQLite 3.24+, PostgreSQL): the first failure
# of an address, or of a window that has ended, starts a window of ``window`` seconds
# with a count of 1; a later failure in the window adds 1 and leaves its end alone.
_RECORD_SQL = f"""
INSERT INTO {TrackFailure._meta.db_table} (client, failures, window_ends) VALUES (%s, 1, %s)
ON CONFLICT (client) DO UPDATE SET
    failures = CASE WHEN {TrackFailure._meta.db_table}.window_ends <= %s THEN 1
                    ELSE {TrackFailure._meta.db_table}.failures + 1 END,
    window_ends = CASE WHEN {TrackFailure._meta.db_table}.window_ends <= %s
                       THEN excluded.window_ends
                       ELSE {TrackFailure._meta.db_table}.window_ends END
"""


def track_failure_record(*, client: str, window_seconds: int) -> None:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_SQL, [client, now + dt.timedelta(seconds=window_seconds), now, now])


def track_failure_is_blocked(*, client: str, limit: int) -> bool:
    return TrackFailure.objects.filter(
        client=client, failures__gte=limit, window_ends__gt=timezone.now()
    ).exists()


def track_failures_purge() -> int:
    """Delete the counts whose window has ended (they block nobody any more)."""
    deleted, _ = TrackFailure.objects.filter(window_ends__lte=timezone.now()).delete()
    return deleted
