"""The working-day calendar as data: a year's announced holidays, entered by a supervisor.

The State Council announces each year's public holidays and adjusted working days (调休)
in November or December; until ``chinese-calendar`` ships them, every due date in that
year counts Monday to Friday. ``working_calendar_year_set`` stores a year as announced
(it then overrides the library, ``cases.workdays``) and, in the same transaction, moves
the due dates of the open cases and approvals so that each keeps the working days it had
left, now counted with the new calendar; each case moved gets one public event saying
why and from which date to which.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import WorkingCalendarDay, WorkingCalendarYear

from ..constants import APPROVAL_OPEN_STATES, CASE_DUE_DATE_OPEN_STATES, EventKind
from ..exceptions import CaseError
from ..models import Approval, Case, CaseEvent
from ..workdays import (
    WorkingCalendar,
    calendar_changed,
    working_calendar,
    working_calendar_from_database,
)

CHUNK = 2000


class CalendarEntryError(CaseError):
    pass


@dataclass(frozen=True)
class CalendarEntry:
    date: dt.date
    is_working_day: bool
    name: str = ""


@dataclass(frozen=True)
class DueDateRecomputation:
    year: int
    cases_moved: int
    approvals_moved: int


def calendar_entries_parse(*, text: str) -> list[CalendarEntry]:
    """Lines such as ``2027-02-06 休 春节`` or ``2027-02-14 班 春节调休`` (休 = holiday,
    班 = working day; ``off`` / ``work`` in English), blank lines and ``#`` comments
    ignored. A bad line is named with its number; nothing is returned then."""
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 2:
            raise CalendarEntryError(
                _("第 %(line)s 行：应为「日期 休/班 名称」，如「2027-02-06 休 春节」。")
                % {"line": number}
            )
        try:
            day = dt.date.fromisoformat(parts[0])
        except ValueError:
            raise CalendarEntryError(
                _("第 %(line)s 行：日期「%(value)s」不是 YYYY-MM-DD 格式的日期。")
                % {"line": number, "value": parts[0]}
            ) from None
        kind = parts[1].lower()
        if kind not in ("休", "班", "off", "work"):
            raise CalendarEntryError(
                _("第 %(line)s 行：「%(value)s」应为「休」（放假）或「班」（调休上班）。")
                % {"line": number, "value": parts[1]}
            )
        entries.append(
            CalendarEntry(
                date=day,
                is_working_day=kind in ("班", "work"),
                name=parts[2] if len(parts) > 2 else "",
            )
        )
    return entries


def _check(year: int, entries: list[CalendarEntry], source: str) -> None:
    if not 2000 <= year <= 2100:
        raise CalendarEntryError(_("年份应在 2000 到 2100 之间。"))
    if not source.strip():
        raise CalendarEntryError(_("请写明依据（如国务院办公厅的通知名称）。"))
    if not entries:
        raise CalendarEntryError(_("请至少录入一天放假或调休上班的日期。"))
    seen: set[dt.date] = set()
    for entry in entries:
        if entry.date.year != year:
            raise CalendarEntryError(
                _("%(date)s 不在 %(year)s 年内。") % {"date": entry.date.isoformat(), "year": year}
            )
        if entry.date in seen:
            raise CalendarEntryError(_("%(date)s 录入了两次。") % {"date": entry.date.isoformat()})
        seen.add(entry.date)


def working_calendar_year_set(
    *, year: int, entries: list[CalendarEntry], source: str, actor: Any
) -> DueDateRecomputation:
    """Store ``year``'s announced holidays and make-up working days (replacing what was
    entered for it before) and move the open due dates accordingly: all or nothing."""
    _check(year, entries, source)
    before = working_calendar()
    with transaction.atomic():
        calendar_year, _created = WorkingCalendarYear.objects.update_or_create(
            year=year, defaults={"source": source.strip()[:200], "entered_by": actor}
        )
        WorkingCalendarDay.objects.filter(year=calendar_year).delete()
        WorkingCalendarDay.objects.bulk_create(
            WorkingCalendarDay(
                year=calendar_year,
                date=entry.date,
                is_working_day=entry.is_working_day,
                name=entry.name[:50],
            )
            for entry in entries
        )
        after = working_calendar_from_database()
        result = _due_dates_move(before=before, after=after, year=year, actor=actor, source=source)
        transaction.on_commit(calendar_changed)
    return result


def _moved_date(
    old: dt.date, *, today: dt.date, before: WorkingCalendar, after: WorkingCalendar
) -> dt.date:
    """The date that leaves as many working days after today, counted with ``after``, as
    ``old`` left with ``before``: a promise of "N more working days" is kept."""
    return after.add_working_days(today, before.working_days_between(today, old))


def _due_dates_move(
    *, before: WorkingCalendar, after: WorkingCalendar, year: int, actor: Any, source: str
) -> DueDateRecomputation:
    today = timezone.localdate()
    moves: dict[dt.date, dt.date] = {}

    def moved(old: dt.date) -> dt.date:
        if old not in moves:
            moves[old] = _moved_date(old, today=today, before=before, after=after)
        return moves[old]

    # Rows are read once and moved by primary key, one UPDATE per distinct (old, new) pair
    # and chunk: moving by date could move a row twice (A→B, then B→C).
    approvals = Approval.objects.filter(state__in=APPROVAL_OPEN_STATES, due_date__gt=today)
    cases = Case.objects.filter(state__in=CASE_DUE_DATE_OPEN_STATES, due_date__gt=today)
    changes: dict[int, dict[str, Any]] = defaultdict(lambda: {"approvals": {}})
    approval_ids: dict[tuple[dt.date, dt.date], list[int]] = defaultdict(list)
    case_ids: dict[tuple[dt.date, dt.date], list[int]] = defaultdict(list)
    rows = approvals.values_list("pk", "case_id", "due_date").iterator(chunk_size=CHUNK)
    for approval_id, case_id, old in rows:
        new = moved(old)
        if new != old:
            changes[case_id]["approvals"][str(approval_id)] = [old.isoformat(), new.isoformat()]
            approval_ids[old, new].append(approval_id)
    for case_id, old in cases.values_list("pk", "due_date").iterator(chunk_size=CHUNK):
        new = moved(old)
        if new != old:
            changes[case_id]["case"] = [old.isoformat(), new.isoformat()]
            case_ids[old, new].append(case_id)
    approvals_moved = _move(Approval, approval_ids)
    cases_moved = _move(Case, case_ids)
    # The record of why, one event per case moved (the audit chain takes rows one by one).
    for case_id, change in sorted(changes.items()):
        CaseEvent.objects.create(
            case_id=case_id,
            kind=EventKind.SYSTEM,
            name="recompute_due_dates",
            actor=actor,
            actor_label="" if actor else "system",
            note=_event_note(year, source, change),
            data={"year": year, **change},
            is_public=True,
        )
    return DueDateRecomputation(year=year, cases_moved=cases_moved, approvals_moved=approvals_moved)


def _move(model: type[Approval] | type[Case], ids: dict[tuple[dt.date, dt.date], list[int]]) -> int:
    moved = 0
    for (_old, new), pks in ids.items():
        for start in range(0, len(pks), CHUNK):
            moved += model.objects.filter(pk__in=pks[start : start + CHUNK]).update(due_date=new)
    return moved


def _event_note(year: int, source: str, change: dict[str, Any]) -> str:
    if "case" in change:
        old, new = change["case"]
        return _(
            "已录入 %(year)s 年节假日安排（%(source)s），办理时限按工作日重新计算："
            "承诺办结日期由 %(old)s 调整为 %(new)s。"
        ) % {"year": year, "source": source, "old": old, "new": new}
    return _("已录入 %(year)s 年节假日安排（%(source)s），各部门审批时限按工作日重新计算。") % {
        "year": year,
        "source": source,
    }
