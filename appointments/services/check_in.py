"""Checking in at the kiosk: the person types the appointment number and gets a priority
ticket of the appointment's queue (``hall.services.tickets.ticket_take``).

Check-in is open from 30 minutes before the slot until 15 minutes after its start
(``constants.CHECK_IN_*``); the hall gives tickets only while it is open, so for a day's
first slot check-in begins in practice at opening time. The ticket is taken inside the transaction that marks the
appointment checked in: if the hall refuses the ticket, the appointment stays booked, and
one appointment never yields two tickets (its row is locked while the ticket is taken).
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.constants import IdType
from centres.models import Centre

from ..constants import (
    CHECK_IN_CLOSES_AFTER_START,
    CHECK_IN_OPENS_BEFORE,
    NUMBER_PREFIX,
    AppointmentState,
)
from ..exceptions import AppointmentError, AppointmentNotFoundError
from ..models import Appointment

NUMBER_SHAPE = re.compile(rf"^{NUMBER_PREFIX}[0-9A-Z]{{6}}$")
MOBILE_SHAPE = re.compile(r"^1\d{10}$")


def appointment_number_clean(text: str) -> str:
    """What a person typed, as a number: spaces dropped, upper case."""
    return re.sub(r"\s+", "", text or "").upper()


def _check_in_window(appointment: Appointment, now: dt.datetime) -> None:
    starts_at = timezone.make_aware(dt.datetime.combine(appointment.day, appointment.start))
    opens = starts_at - CHECK_IN_OPENS_BEFORE
    if now < opens:
        raise AppointmentError(
            _("您预约的是 %(day)s %(time)s 的时段，请于 %(opens)s 之后再来签到。")
            % {
                "day": appointment.day.isoformat(),
                "time": f"{appointment.start:%H:%M}",
                "opens": timezone.localtime(opens).strftime("%Y-%m-%d %H:%M"),
            }
        )
    if now > starts_at + CHECK_IN_CLOSES_AFTER_START:
        raise AppointmentError(
            _("已超过签到时间（时段开始后 %(minutes)d 分钟内签到），预约已失效，请直接取号。")
            % {"minutes": int(CHECK_IN_CLOSES_AFTER_START.total_seconds() // 60)}
        )


def _ticket_identity(appointment: Appointment) -> dict[str, str]:
    """What the ticket records of the person: the hall numbers people by resident ID and
    texts mobiles only, so an organisation's credit code or a landline stays off it
    (the appointment keeps them)."""
    is_person = appointment.applicant.id_type == IdType.RESIDENT_ID
    return {
        "id_number": appointment.id_number if is_person else "",
        "phone": appointment.phone if MOBILE_SHAPE.match(appointment.phone) else "",
    }


def appointment_check_in(
    *, number: str, centre: Centre, now: dt.datetime | None = None
) -> Appointment:
    """The appointment becomes a priority ticket at this centre; its ``ticket_number`` is
    what the kiosk shows. A number that is not this centre's answers as not found."""
    from hall.exceptions import TicketError
    from hall.services.tickets import ticket_take

    number = appointment_number_clean(number)
    if not NUMBER_SHAPE.match(number):
        raise AppointmentNotFoundError(
            _("预约号由 YY 和 6 位字母或数字组成，请核对后重新输入。"), field="number"
        )
    now = timezone.localtime(now)
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update()
            .select_related("queue", "applicant")
            .filter(number=number, centre=centre)
            .first()
        )
        if appointment is None:
            raise AppointmentNotFoundError(
                _("本中心没有预约号为 %(number)s 的预约，请核对。") % {"number": number},
                field="number",
            )
        if appointment.state == AppointmentState.CHECKED_IN:
            raise AppointmentError(
                _("该预约已签到，取号号码为 %(ticket)s。") % {"ticket": appointment.ticket_number}
            )
        if appointment.state != AppointmentState.BOOKED:
            raise AppointmentError(
                _("该预约的状态是「%(state)s」，不能签到。")
                % {"state": appointment.get_state_display()}
            )
        _check_in_window(appointment, now)
        try:
            ticket = ticket_take(
                queue=appointment.queue,
                priority="appointment",
                **_ticket_identity(appointment),
                appointment_number=appointment.number,
            )
        except TicketError as error:
            raise AppointmentError(str(error)) from None
        appointment.state = AppointmentState.CHECKED_IN
        appointment.checked_in_at = now
        appointment.ticket_number = ticket.number
        appointment.save(update_fields=["state", "checked_in_at", "ticket_number"])
    return appointment
