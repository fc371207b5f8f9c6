"""A centre's opening hours: ISO weekday ("1" Monday … "7" Sunday) → its open intervals.

``{"1": [["09:00", "12:00"], ["13:30", "17:30"]], …}``; a day that is not listed is
closed. Intervals are in local time, ordered, and never overlap. Public holidays and the
weekend days that are worked instead follow the working calendar, not this table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

Interval = tuple[dt.time, dt.time]


def _time(text: Any) -> dt.time:
    try:
        return dt.time.fromisoformat(str(text))
    except ValueError:
        raise ValidationError(
            _("营业时间“%(value)s”不是 HH:MM 格式的时刻。") % {"value": text}
        ) from None


def opening_hours_parse(value: Any) -> dict[int, list[Interval]]:
    """The table as ``{weekday: [(start, end), …]}``, or a ValidationError that says what
    is wrong with it."""
    if not isinstance(value, dict):
        raise ValidationError(_("营业时间应为“星期几 → 时段列表”的对象。"))
    table: dict[int, list[Interval]] = {}
    for key, intervals in value.items():
        if str(key) not in {str(day) for day in range(1, 8)}:
            raise ValidationError(
                _("营业时间的星期“%(key)s”无效，应为 1（星期一）到 7（星期日）。") % {"key": key}
            )
        if not isinstance(intervals, list):
            raise ValidationError(_("星期 %(key)s 的营业时间应为时段列表。") % {"key": key})
        parsed: list[Interval] = []
        for interval in intervals:
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                raise ValidationError(_("星期 %(key)s 的时段应写成 [开始, 结束]。") % {"key": key})
            start, end = _time(interval[0]), _time(interval[1])
            if start >= end or (parsed and start < parsed[-1][1]):
                raise ValidationError(
                    _(
                        "星期 %(key)s 的时段 %(start)s–%(end)s 无效：开始须早于结束，且各时段按时间先后、互不重叠。"
                    )
                    % {"key": key, "start": interval[0], "end": interval[1]}
                )
            parsed.append((start, end))
        table[int(key)] = parsed
    return table


def validate_opening_hours(value: Any) -> None:
    opening_hours_parse(value)


def is_open_at(value: dict[str, Any], moment: dt.datetime) -> bool:
    """Whether the hours have ``moment`` (a local datetime) inside an open interval."""
    intervals = opening_hours_parse(value).get(moment.isoweekday(), [])
    return any(start <= moment.time() < end for start, end in intervals)
