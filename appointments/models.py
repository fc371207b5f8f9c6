"""Appointments (预约): a person books a slot of a queue at a centre, then checks in at
the hall's kiosk and gets a priority ticket.

Capacity under concurrency: each slot that has been booked once has a counter row
(``SlotCounter``: queue, day, start → booked). A booking raises the counter with one
conditional statement, ``UPDATE … SET booked = booked + 1 WHERE … AND booked <
capacity``; the UPDATE takes the row's lock, and on PostgreSQL a second booking waiting
for that lock re-reads the row once the first commits and re-checks the condition
(READ COMMITTED re-evaluates the WHERE on the new row version), so it matches no row when
the first one took the last place. No count of appointments is ever trusted across
transactions: the counter and the appointment row change in the same transaction, and a
cancellation lowers it again. On the embedded SQLite every write transaction begins
IMMEDIATE (settings), so bookings are serialised there. This locks one slot, not the
queue: bookings of other slots never wait for each other (a ``select_for_update`` on the
SlotRule would make a whole queue's bookings queue up behind one another).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from departments.identifiers import mask_id_number, mask_phone

from .constants import (
    DEFAULT_CAPACITY,
    DEFAULT_DAYS_AHEAD,
    DEFAULT_SLOT_MINUTES,
    AppointmentChannel,
    AppointmentState,
)


class SlotRule(models.Model):
    """How a queue's days are cut into slots. A queue belongs to exactly one centre, so
    the rule of a queue is the rule of that centre and queue; a queue without a rule
    uses the defaults (30 minutes, 4 people, 14 days ahead)."""

    queue = models.OneToOneField(
        "centres.Queue",
        verbose_name=_("排队队列"),
        on_delete=models.CASCADE,
        related_name="slot_rule",
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("每个时段（分钟）"),
        default=DEFAULT_SLOT_MINUTES,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    capacity = models.PositiveSmallIntegerField(
        _("每个时段可约人数"),
        default=DEFAULT_CAPACITY,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    days_ahead = models.PositiveSmallIntegerField(
        _("可提前预约天数"),
        default=DEFAULT_DAYS_AHEAD,
        validators=[MinValueValidator(0), MaxValueValidator(90)],
    )

    class Meta:
        verbose_name = _("预约规则")
        verbose_name_plural = _("预约规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=240),
                name="slot_rule_minutes_range",
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=200), name="slot_rule_capacity_range"
            ),
            models.CheckConstraint(condition=Q(days_ahead__lte=90), name="slot_rule_days_range"),
        ]

    def __str__(self) -> str:
        return str(self.queue)


class SlotCounter(models.Model):
    """How many open (booked or checked-in) appointments one slot holds: the row the
    booking locks (see the module's docstring)."""

    queue = models.ForeignKey("centres.Queue", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    start = models.TimeField()
    booked = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["queue", "day", "start"], name="slot_counter_unique"),
            models.CheckConstraint(condition=Q(booked__gte=0), name="slot_counter_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.queue_id} {self.day} {self.start:%H:%M}: {self.booked}"


class Appointment(models.Model):
    """One person's booked slot. The number is ``YY`` + six random characters (not a
    sequence): the kiosk's check-in is public, and a number one could guess from the
    previous one would let anyone check in someone else's appointment."""

    number = models.CharField(_("预约号"), max_length=12, unique=True)
    centre = models.ForeignKey(
        "centres.Centre",
        verbose_name=_("服务中心"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    queue = models.ForeignKey(
        "centres.Queue",
        verbose_name=_("排队队列"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    day = models.DateField(_("日期"))
    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    # When check-in closes (the later of the slot's end and 15 minutes after its start):
    # the no-show sweep is then one indexed comparison, with no time arithmetic in SQL.
    check_in_until = models.DateTimeField(_("签到截止"))
    applicant = models.ForeignKey(
        "cases.Applicant",
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    id_number = models.CharField(_("证件号码"), max_length=18)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代约人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("留空为本人网上预约。"),
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=AppointmentChannel.choices)
    state = models.CharField(
        _("状态"),
        max_length=12,
        choices=AppointmentState.choices,
        default=AppointmentState.BOOKED,
    )
    ticket_number = models.CharField(_("取号号码"), max_length=12, blank=True)
    created_at = models.DateTimeField(_("预约时间"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)

    class Meta:
        ordering = ["day", "start", "id"]
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "queue", "day"],
                condition=Q(state=AppointmentState.BOOKED),
                name="appointment_one_open_per_person_queue_day",
                violation_error_message=_("您当天在该队列已有一个预约。"),
            )
        ]
        indexes = [
            models.Index(fields=["centre", "day", "start"], name="appointment_centre_day"),
            models.Index(fields=["state", "check_in_until"], name="appointment_state_until"),
            models.Index(fields=["applicant", "state"], name="appointment_applicant_state"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""

    @property
    def is_open(self) -> bool:
        return self.state == AppointmentState.BOOKED
