"""The public tracking throttle's counts (``TrackFailure``): one row per client address,
and one per case whose ID suffix was typed wrong (``citizens.throttles.TRACK_FAILURES``)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from cases.models import Case

from ..models import TrackFailure

_TABLE = TrackFailure._meta.db_table
# One statement, atomic on both databases (SQLite 3.24+, PostgreSQL): the first failure
# of a key, or of a window that has ended, starts a window of its length with a count of
# 1; a later failure in the window adds 1 and leaves its end alone. The case's row is
# written only when a case has that number (a wrong suffix, not an unknown number).
# Plain SQL: the ORM has no upsert whose update depends on the row it conflicts with.
_RECORD_SQL = f"""
INSERT INTO {_TABLE} (client, failures, window_ends)
SELECT %s, 1, %s WHERE 1 = 1
UNION ALL
SELECT %s, 1, %s WHERE EXISTS (SELECT 1 FROM {Case._meta.db_table} WHERE tracking_no = %s)
ON CONFLICT (client) DO UPDATE SET
    failures = CASE WHEN {_TABLE}.window_ends <= %s THEN 1 ELSE {_TABLE}.failures + 1 END,
    window_ends = CASE WHEN {_TABLE}.window_ends <= %s THEN excluded.window_ends
                       ELSE {_TABLE}.window_ends END
"""


def track_failure_record(
    *,
    client: str,
    client_window_seconds: int,
    case_key: str,
    tracking_no: str,
    case_window_seconds: int,
) -> None:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD_SQL,
            [
                client,
                now + dt.timedelta(seconds=client_window_seconds),
                case_key,
                now + dt.timedelta(seconds=case_window_seconds),
                tracking_no,
                now,
                now,
            ],
        )


def track_failure_blocked_keys(*, limits: dict[str, int]) -> set[str]:
    """Which of the keys have reached their limit (key → limit) in a window still open."""
    reached = Q()
    for key, limit in limits.items():
        reached |= Q(client=key, failures__gte=limit)
    return set(
        TrackFailure.objects.filter(reached, window_ends__gt=timezone.now()).values_list(
            "client", flat=True
        )
    )
