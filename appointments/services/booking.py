"""Booking and cancelling an appointment.

Every refusal is raised before anything is written, or inside the one transaction that
is then rolled back: a refused booking leaves no appointment, no counter change.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Applicant
from centres.models import Centre, Queue

from ..constants import (
    CHECK_IN_CLOSES_AFTER_START,
    NUMBER_ALPHABET,
    NUMBER_PREFIX,
    NUMBER_RANDOM_LENGTH,
    AppointmentChannel,
    AppointmentState,
)
from ..exceptions import AlreadyBookedError, AppointmentError, SlotFullError
from ..models import Appointment, SlotCounter
from .slots import Rule, Slot, day_hours, hours_text, slot_rule_for, slot_times

NUMBER_ATTEMPTS = 5


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def _check_place(*, centre: Centre, queue: Queue) -> None:
    if queue.centre_id != centre.pk:
        raise AppointmentError(
            _("%(queue)s 不是 %(centre)s 的队列。") % {"queue": queue.name, "centre": centre.name},
            field="queue",
        )
    if not centre.is_active:
        raise AppointmentError(_("%(centre)s 已停用，不能预约。") % {"centre": centre.name})
    if not queue.is_active:
        raise AppointmentError(
            _("%(queue)s 队列已停用，不能预约。") % {"queue": queue.name}, field="queue"
        )


def _check_day(*, centre: Centre, day: dt.date, rule: Rule, today: dt.date) -> None:
    if day < today:
        raise AppointmentError(_("不能预约已经过去的日期。"), field="day")
    last = today + dt.timedelta(days=rule.days_ahead)
    if day > last:
        raise AppointmentError(
            _("最多可提前 %(days)d 天预约，最晚可约到 %(last)s。")
            % {"days": rule.days_ahead, "last": last.isoformat()},
            field="day",
        )


def bookable_slot(
    *, centre: Centre, queue: Queue, day: dt.date, start: dt.time, now: dt.datetime | None = None
) -> tuple[Slot, Rule]:
    """The slot ``start`` names, or the refusal that says why it cannot be booked (all
    the checks that need no lock; capacity and the person's other bookings come after)."""
    _check_place(centre=centre, queue=queue)
    now = timezone.localtime(now)
    rule = slot_rule_for(queue=queue)
    _check_day(centre=centre, day=day, rule=rule, today=now.date())
    hours = day_hours(centre=centre, day=day)
    if not hours.intervals:
        raise AppointmentError(hours.closed_reason, field="day")
    times = slot_times(intervals=hours.intervals, minutes=rule.slot_minutes)
    end = next((slot_end for slot_start, slot_end in times if slot_start == start), None)
    if end is None:
        if not any(opens <= start < closes for opens, closes in hours.intervals):
            raise AppointmentError(
                _("%(time)s 不在营业时间内（当天营业时间 %(hours)s）。")
                % {"time": f"{start:%H:%M}", "hours": hours_text(hours.intervals)},
                field="start",
            )
        raise AppointmentError(
            _(
                "预约时段每 %(minutes)d 分钟一个，须从 %(first)s 这样的整段开始，%(time)s 不是时段的开始。"
            )
            % {
                "minutes": rule.slot_minutes,
                "first": f"{times[0][0]:%H:%M}",
                "time": f"{start:%H:%M}",
            },
            field="start",
        )
    if _aware(day, start) <= now:
        raise AppointmentError(
            _("%(day)s %(time)s 的时段已经开始或已过去，请选择之后的时段。")
            % {"day": day.isoformat(), "time": f"{start:%H:%M}"},
            field="start",
        )
    return Slot(day=day, start=start, end=end, capacity=rule.capacity, booked=0), rule


def _new_number() -> str:
    random_part = "".join(
        secrets.choice(NUMBER_ALPHABET) for _position in range(NUMBER_RANDOM_LENGTH)
    )
    return NUMBER_PREFIX + random_part


def _already_booked_error(queue: Queue, day: dt.date) -> AlreadyBookedError:
    return AlreadyBookedError(
        _("%(day)s 您在「%(queue)s」已有一个预约，同一天同一队列只能预约一次。")
        % {"day": day.isoformat(), "queue": queue.name}
    )


def _take_place(*, queue: Queue, slot: Slot) -> None:
    """Raise the slot's counter by one if it has room (the row lock: models.py)."""
    SlotCounter.objects.bulk_create(
        [SlotCounter(queue=queue, day=slot.day, start=slot.start, booked=0)],
        ignore_conflicts=True,
    )
    taken = SlotCounter.objects.filter(
        queue=queue, day=slot.day, start=slot.start, booked__lt=slot.capacity
    ).update(booked=F("booked") + 1)
    if not taken:
        raise SlotFullError(
            _("%(day)s %(time)s 的时段已约满，请选择其他时段。")
            % {"day": slot.day.isoformat(), "time": f"{slot.start:%H:%M}"},
            field="start",
        )


def _insert(**values: Any) -> Appointment:
    """The appointment under a fresh random number; a number already taken (rare: 31⁶
    numbers) is drawn again, inside a savepoint."""
    for _attempt in range(NUMBER_ATTEMPTS):
        number = _new_number()
        try:
            with transaction.atomic():
                return Appointment.objects.create(number=number, **values)
        except IntegrityError:
            if not Appointment.objects.filter(number=number).exists():
                raise  # not the number: the person's one-open-appointment rule
    raise AppointmentError(_("暂时无法分配预约号，请重试。"))


def appointment_book(
    *,
    applicant: Applicant,
    centre: Centre,
    queue: Queue,
    day: dt.date,
    start: dt.time,
    booked_by: Any = None,
    channel: str | None = None,
    phone: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """The person gets a place in the slot and an appointment number to check in with at
    the kiosk. ``booked_by`` None: the person online; else the clerk or agent who booked
    for them (channel window or agent). Refused, with nothing written: a queue or centre
    that is not open for booking, a past day or slot, beyond the horizon, a holiday or a
    day the hall is closed, a time outside the hours or off a slot boundary, a full slot,
    a second open appointment of the person for the queue that day."""
    slot, rule = bookable_slot(centre=centre, queue=queue, day=day, start=start, now=now)
    channel = channel or (
        AppointmentChannel.ONLINE if booked_by is None else AppointmentChannel.WINDOW
    )
    if channel not in AppointmentChannel.values:
        raise AppointmentError(_("预约渠道无效。"))
    if Appointment.objects.filter(
        applicant=applicant, queue=queue, day=day, state=AppointmentState.BOOKED
    ).exists():
        raise _already_booked_error(queue, day)
    starts_at = _aware(day, start)
    values = {
        "centre": centre,
        "queue": queue,
        "day": day,
        "start": start,
        "end": slot.end,
        "check_in_until": max(_aware(day, slot.end), starts_at + CHECK_IN_CLOSES_AFTER_START),
        "applicant": applicant,
        "id_number": applicant.id_number,
        "phone": (phone or applicant.phone or "").strip()[:20],
        "booked_by": booked_by,
        "channel": channel,
    }
    try:
        with transaction.atomic():
            _take_place(queue=queue, slot=slot)
            return _insert(**values)
    except IntegrityError:
        # Two bookings of the same person at once: the partial unique index let one in.
        if Appointment.objects.filter(
            applicant=applicant, queue=queue, day=day, state=AppointmentState.BOOKED
        ).exists():
            raise _already_booked_error(queue, day) from None
        raise


def appointment_cancel(
    *, appointment: Appointment, applicant: Applicant | None = None, now: dt.datetime | None = None
) -> Appointment:
    """The place goes back to the slot. Only an open appointment, and only before its slot
    starts; ``applicant`` given: only that person's own (anyone else's answers as not
    found)."""
    now = timezone.localtime(now)
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().filter(pk=appointment.pk).first()
        if locked is None or (applicant is not None and locked.applicant_id != applicant.pk):
            raise AppointmentError(_("未找到该预约。"))
        if locked.state != AppointmentState.BOOKED:
            raise AppointmentError(
                _("预约 %(number)s 的状态是「%(state)s」，不能取消。")
                % {"number": locked.number, "state": locked.get_state_display()}
            )
        if _aware(locked.day, locked.start) <= now:
            raise AppointmentError(
                _("预约 %(number)s 的时段已经开始，不能再取消。") % {"number": locked.number}
            )
        SlotCounter.objects.filter(
            queue_id=locked.queue_id, day=locked.day, start=locked.start, booked__gt=0
        ).update(booked=F("booked") - 1)
        locked.state = AppointmentState.CANCELLED
        locked.cancelled_at = now
        locked.save(update_fields=["state", "cancelled_at"])
    return locked


def appointment_book_for(
    *,
    id_type: str,
    id_number: str,
    name: str,
    phone: str,
    centre: Centre,
    queue: Queue,
    day: dt.date,
    start: dt.time,
    booked_by: Any,
    channel: str,
    now: dt.datetime | None = None,
) -> Appointment:
    """A clerk or agent books for the person in front of them, found by ID number or
    registered as the window's intake does (``applicant_get_or_create``). Refused: an
    invalid number, and every refusal of ``appointment_book`` — then not even the new
    applicant is kept."""
    from cases.exceptions import ApplicantInputError
    from cases.services.intake.applicants import (
        applicant_get_or_create,
        applicant_identifier_check,
    )

    try:
        check = applicant_identifier_check(id_type=id_type, id_number=id_number)
    except ApplicantInputError as error:
        raise AppointmentError(str(error), field="id_number") from None
    if check.needs_registry_override:
        raise AppointmentError(
            _("统一社会信用代码校验位不正确：%(problem)s") % {"problem": check.problem},
            field="id_number",
        )
    bookable_slot(centre=centre, queue=queue, day=day, start=start, now=now)
    with transaction.atomic():
        try:
            applicant = applicant_get_or_create(check=check, name=name, phone=phone)
        except ApplicantInputError as error:
            raise AppointmentError(str(error), field=error.field or "name") from None
        if not applicant.name:
            raise AppointmentError(_("请填写申请人姓名或名称。"), field="name")
        return appointment_book(
            applicant=applicant,
            centre=centre,
            queue=queue,
            day=day,
            start=start,
            booked_by=booked_by,
            channel=channel,
            phone=phone,
            now=now,
        )
