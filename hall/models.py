"""Queue tickets (取号) and their calls (叫号) in a centre's hall.

A ticket belongs to one queue on one day; its number is the queue's letter and its
sequence of the day (A017). Its state follows the citizen through the hall: waiting →
called (possibly several times) → serving → done, or no-show after three calls, or
transferred to another queue (a new ticket there, ``transferred_from`` this one).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from centres.models import Centre, Queue, ServiceWindow
from departments.identifiers import mask_id_number

from .constants import (
    DEFAULT_PRIORITY_ORDER,
    OPEN_STATES,
    SEQUENCE_DIGITS,
    TicketPriority,
    TicketState,
)


def default_priority_order() -> list[str]:
    return list(DEFAULT_PRIORITY_ORDER)


def validate_priority_order(value: object) -> None:
    """Every priority kind exactly once, the ordinary ticket last: priority tickets always
    go before ordinary ones, the centre only chooses the order among them."""
    kinds = [str(kind) for kind in TicketPriority.values]
    if not isinstance(value, list) or sorted(map(str, value)) != sorted(kinds):
        raise ValidationError(
            _("优先顺序应列出全部类别且每类一次：%(kinds)s。") % {"kinds": "、".join(kinds)}
        )
    if value[-1] != TicketPriority.NONE:
        raise ValidationError(_("普通号必须排在最后：优先号总是先于普通号叫号。"))


class HallRule(models.Model):
    """How a centre's hall orders its priority tickets (老年人、残疾人、预约)."""

    centre = models.OneToOneField(
        Centre, verbose_name=_("服务中心"), on_delete=models.CASCADE, related_name="hall_rule"
    )
    priority_order = models.JSONField(
        _("优先顺序"),
        default=default_priority_order,
        validators=[validate_priority_order],
        help_text=_(
            '先叫的类别在前，普通号在最后，例如 ["appointment", "disabled", "elderly", "none"]。'
        ),
    )

    class Meta:
        verbose_name = _("叫号规则")
        verbose_name_plural = _("叫号规则")

    def __str__(self) -> str:
        return str(self.centre)


class TicketCounter(models.Model):
    """The last sequence given out in one queue on one day: the row that numbers tickets
    without duplicates (``hall.services.tickets.sequence_next``)."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="ticket_counters")
    day = models.DateField()
    last_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["queue", "day"], name="ticket_counter_per_queue_day")
        ]

    def __str__(self) -> str:
        return f"{self.queue} {self.day}: {self.last_sequence}"


class Ticket(models.Model):
    """One person's place in one queue on one day."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        Centre, verbose_name=_("服务中心"), on_delete=models.PROTECT, related_name="tickets"
    )
    queue = models.ForeignKey(
        Queue, verbose_name=_("排队队列"), on_delete=models.PROTECT, related_name="tickets"
    )
    day = models.DateField(_("日期"))
    sequence = models.PositiveIntegerField(_("当日序号"))
    number = models.CharField(_("号码"), max_length=10)
    priority = models.CharField(
        _("优先类别"), max_length=20, choices=TicketPriority.choices, default=TicketPriority.NONE
    )
    id_number = models.CharField(_("证件号码"), max_length=18, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    appointment_number = models.CharField(_("预约号"), max_length=30, blank=True)
    state = FSMField(
        _("状态"),
        max_length=20,
        choices=TicketState.choices,
        default=TicketState.WAITING,
        protected=True,
    )
    window = models.ForeignKey(
        ServiceWindow,
        verbose_name=_("窗口"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("叫号人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="called_tickets",
    )
    call_count = models.PositiveSmallIntegerField(_("叫号次数"), default=0)
    taken_at = models.DateTimeField(_("取号时间"), default=timezone.now)
    first_called_at = models.DateTimeField(_("首次叫号时间"), null=True, blank=True)
    last_called_at = models.DateTimeField(_("最近叫号时间"), null=True, blank=True)
    served_at = models.DateTimeField(_("开始办理时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # Kept in seconds when they end, for the hall statistics (averages and percentiles
    # are then one grouped query on any database).
    wait_seconds = models.PositiveIntegerField(_("等候时长（秒）"), null=True, blank=True)
    service_seconds = models.PositiveIntegerField(_("办理时长（秒）"), null=True, blank=True)
    cases = models.ManyToManyField(
        "cases.Case", verbose_name=_("办件"), blank=True, related_name="hall_tickets"
    )
    transferred_from = models.OneToOneField(
        "self",
        verbose_name=_("转自"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transferred_to",
    )

    class Meta:
        ordering = ["day", "queue", "sequence"]
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        constraints = [
            models.UniqueConstraint(
                fields=["queue", "day", "sequence"], name="ticket_sequence_per_queue_day"
            ),
            models.UniqueConstraint(
                fields=["queue", "day", "id_number"],
                condition=Q(state__in=OPEN_STATES) & ~Q(id_number=""),
                name="ticket_one_open_per_person_queue_day",
                violation_error_message=_("同一人在同一队列只能有一个未办结的号。"),
            ),
        ]
        indexes = [
            # The hall's hot reads: the waiting tickets of a queue today, and the display.
            models.Index(fields=["queue", "day", "state"], name="ticket_queue_day_state"),
            # The supervision's hall statistics: a centre's tickets over a period.
            models.Index(fields=["day", "centre"], name="ticket_day_centre"),
        ]

    def __str__(self) -> str:
        return self.number

    @staticmethod
    def number_for(queue_code: str, sequence: int) -> str:
        return f"{queue_code}{sequence:0{SEQUENCE_DIGITS}d}"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number) if self.id_number else ""

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # --- transitions: they change only this ticket; the services lock and save it ---
    # (the first call is written by one conditional UPDATE in ``hall.services``, so that
    # two windows never take the same ticket: ``call`` is the state machine's edge, and
    # says what that UPDATE writes)

    @transition(field=state, source=TicketState.WAITING, target=TicketState.CALLED)
    def call(
        self, *, window: Any, called_by: Any, at: dt.datetime, wait_seconds: int | None
    ) -> None:
        self.window = window
        self.called_by = called_by
        self.call_count += 1
        self.first_called_at = self.last_called_at = at
        if wait_seconds is not None:
            self.wait_seconds = wait_seconds

    @transition(field=state, source=TicketState.CALLED, target=TicketState.CALLED)
    def recall(self) -> None:
        self.call_count += 1
        self.last_called_at = timezone.now()

    @transition(field=state, source=TicketState.CALLED, target=TicketState.NO_SHOW)
    def mark_no_show(self) -> None:
        self.done_at = timezone.now()

    @transition(field=state, source=TicketState.CALLED, target=TicketState.SERVING)
    def start(self) -> None:
        self.served_at = timezone.now()

    @transition(field=state, source=TicketState.SERVING, target=TicketState.DONE)
    def finish(self) -> None:
        self.done_at = timezone.now()
        if self.served_at is not None:
            self.service_seconds = max(0, int((self.done_at - self.served_at).total_seconds()))

    @transition(
        field=state,
        source=[TicketState.CALLED, TicketState.SERVING],
        target=TicketState.TRANSFERRED,
    )
    def transfer(self) -> None:
        self.done_at = timezone.now()

    @transition(field=state, source=TicketState.WAITING, target=TicketState.CANCELLED)
    def cancel(self) -> None:
        self.done_at = timezone.now()


class Call(models.Model):
    """One call or recall of a ticket to a window: what the hall display shows and speaks."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("排队号"), on_delete=models.CASCADE, related_name="calls"
    )
    window = models.ForeignKey(
        ServiceWindow, verbose_name=_("窗口"), on_delete=models.PROTECT, related_name="calls"
    )
    centre = models.ForeignKey(
        Centre, verbose_name=_("服务中心"), on_delete=models.CASCADE, related_name="calls"
    )
    at = models.DateTimeField(_("叫号时间"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("叫号记录")
        verbose_name_plural = _("叫号记录")
        indexes = [models.Index(fields=["centre", "-at"], name="call_centre_at")]

    def __str__(self) -> str:
        return f"{self.ticket.number} → {self.window}"
