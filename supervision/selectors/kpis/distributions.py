"""Working days over distributions ``(start date, end date, number of cases)``: the
calendar is walked once per span, not once per case."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from cases.workdays import working_calendar


class WorkdayCounter:
    """Working days between two dates in O(1) after one pass over the span."""

    def __init__(self, dates: Iterable[dt.date]) -> None:
        dates = [day for day in dates if day is not None]
        self.first = min(dates) if dates else timezone.localdate()
        last = max(dates) if dates else self.first
        self.cumulative: list[int] = []
        count = 0
        calendar = working_calendar()
        for offset in range((last - self.first).days + 1):
            if calendar.is_working_day(self.first + dt.timedelta(days=offset)):
                count += 1
            self.cumulative.append(count)

    def between(self, start: dt.date, end: dt.date) -> int:
        """As ``cases.workdays.working_days_between``: after start, up to and including end."""
        if end <= start:
            return 0
        return self.cumulative[(end - self.first).days] - self.cumulative[(start - self.first).days]


def percentile(distribution: dict[int, int], fraction: float) -> int | None:
    """Nearest-rank percentile of ``{value: how many}``."""
    total = sum(distribution.values())
    if not total:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for value in sorted(distribution):
        seen += distribution[value]
        if seen >= rank:
            return value
    return None  # pragma: no cover - rank never exceeds total


def working_day_distributions(
    rows: Iterable[dict[str, Any]], key: str | None = None
) -> dict[Any, dict[int, int]]:
    """``{group: {working days: count}}`` from rows ``{start, end, n[, key]}``."""
    rows = list(rows)
    counter = WorkdayCounter([row["start"] for row in rows] + [row["end"] for row in rows])
    result: dict[Any, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        days = counter.between(row["start"], row["end"])
        result[row[key] if key else None][days] += row["n"]
    return result
