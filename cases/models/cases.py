from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from departments.models import Bundle, Department, ServiceItem

from .. import permissions
from ..constants import (
    CASE_WITHDRAWABLE_STATES,
    CaseState,
    Channel,
    EventKind,
    RatingLevel,
    VisitReason,
)
from ..events import event_summary
from .applicants import Applicant
from .base import AppendOnlyModel, chain_position_unique


class Case(ConcurrentTransitionMixin, models.Model):
    """What an applicant asked for, through which channel, and where it stands.

    Transitions change only this row; ``cases.services`` runs them under a row
    lock, writes the ``CaseEvent`` and starts side effects after commit.
    """

    tracking_no = models.CharField(_("办件编号"), max_length=20, unique=True)
    applicant = models.ForeignKey(
        Applicant, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="cases"
    )
    items = models.ManyToManyField(ServiceItem, verbose_name=_("事项"), related_name="cases")
    bundle = models.ForeignKey(
        Bundle,
        verbose_name=_("一件事"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    channel = models.CharField(
        _("渠道"), max_length=10, choices=Channel.choices, default=Channel.WINDOW
    )
    state = FSMField(
        _("状态"), max_length=20, choices=CaseState.choices, default=CaseState.DRAFT, protected=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="created_cases",
        help_text=_("受理的窗口人员或代办员；网上申请为空。"),
    )
    centre = models.ForeignKey(
        "centres.Centre",
        verbose_name=_("受理中心"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        help_text=_("受理办件的服务中心；网上申请为申请人选择的中心（默认市中心）。"),
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=100, null=True, blank=True)
    due_date = models.DateField(_("承诺办结日期"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("审结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    refusal_reason = models.TextField(_("不予受理理由"), blank=True)
    form_data = models.JSONField(
        _("申请表"),
        default=dict,
        blank=True,
        help_text=_("按事项代码存放的申请表字段值，多数由共享数据预填。"),
    )
    # What the registries said when intake prefilled the case: the certificate carries
    # these values, not what was typed, and a change to one needs a recorded reason.
    registry_prefill = models.JSONField(
        _("共享数据登记信息"),
        default=dict,
        blank=True,
        help_text=_("受理预填时共享数据库登记的申请人信息和申请表字段值。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="case_unique_idempotency_key",
            ),
            models.CheckConstraint(
                condition=~Q(channel=Channel.AGENT) | Q(created_by__isnull=False),
                name="case_agent_channel_has_agent",
                violation_error_message=_("代办件必须记录代办员。"),
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_date"], name="case_state_due"),
            models.Index(fields=["applicant", "-created_at"], name="case_applicant_recent"),
            models.Index(fields=["created_at"], name="case_created"),
        ]

    def __str__(self) -> str:
        return self.tracking_no

    # --- transitions: change this row only; no save, no I/O, no other rows ---

    @transition(field=state, source=CaseState.DRAFT, target=CaseState.SUBMITTED)
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(
        field=state,
        source=CaseState.SUBMITTED,
        target=CaseState.ACCEPTED,
        permission=permissions.is_window_staff,
    )
    def accept(self, *, due_date: dt.date) -> None:
        self.accepted_at = timezone.now()
        self.due_date = due_date

    @transition(
        field=state,
        source=CaseState.SUBMITTED,
        target=CaseState.PENDING_MATERIALS,
        permission=permissions.is_window_staff,
    )
    def request_materials(self) -> None:
        """The one-time notice (一次性告知) of everything missing."""

    @transition(field=state, source=CaseState.PENDING_MATERIALS, target=CaseState.SUBMITTED)
    def supplement(self) -> None:
        self.submitted_at = timezone.now()

    @transition(
        field=state,
        source=CaseState.SUBMITTED,
        target=CaseState.REFUSED,
        permission=permissions.is_clerk,
    )
    def refuse(self, *, reason: str) -> None:
        self.refusal_reason = reason
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=CaseState.ACCEPTED,
        target=CaseState.IN_REVIEW,
        permission=permissions.is_administrator,
    )
    def dispatch(self) -> None:
        """Fan out to the departments; the approvals are built by the dispatch service."""

    @transition(
        field=state,
        source=CaseState.IN_REVIEW,
        target=CaseState.SUSPENDED,
        permission=permissions.is_administrator,
    )
    def suspend(self) -> None:
        """A department asked for a supplement: the SLA clock stops."""

    @transition(
        field=state,
        source=CaseState.SUSPENDED,
        target=CaseState.IN_REVIEW,
        permission=permissions.is_administrator,
    )
    def resume(self) -> None:
        pass

    @transition(
        field=state,
        source=CaseState.IN_REVIEW,
        target=RETURN_VALUE(CaseState.APPROVED, CaseState.DENIED),
        permission=permissions.is_administrator,
    )
    def conclude(self, *, approved: bool) -> str:
        """Fan-in: every approval is final. The service says whether all were granted."""
        self.concluded_at = timezone.now()
        return CaseState.APPROVED if approved else CaseState.DENIED

    @transition(
        field=state,
        source=CaseState.APPROVED,
        target=CaseState.ISSUED,
        permission=permissions.is_administrator,
    )
    def issue(self) -> None:
        """Every certificate of the case is in the library."""

    @transition(
        field=state,
        source=CaseState.ISSUED,
        target=CaseState.IN_DELIVERY,
        permission=permissions.is_clerk,
    )
    def ship(self) -> None:
        pass

    @transition(
        field=state,
        source=CaseState.IN_DELIVERY,
        target=CaseState.ISSUED,
        permission=permissions.is_clerk,
    )
    def return_to_window(self) -> None:
        """The courier failed or returned the parcel: back in the window queue, nothing lost."""

    @transition(
        field=state,
        source=CaseState.IN_DELIVERY,
        target=CaseState.CLOSED,
        permission=permissions.is_clerk,
    )
    def deliver(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=CaseState.ISSUED,
        target=CaseState.CLOSED,
        permission=permissions.is_clerk,
    )
    def collect(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=CaseState.DENIED,
        target=CaseState.CLOSED,
        permission=permissions.is_window_staff,
    )
    def notify(self) -> None:
        """The applicant was told of the denial and its reasons."""
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=CASE_WITHDRAWABLE_STATES,
        target=CaseState.WITHDRAWN,
        permission=permissions.is_window_staff,
    )
    def withdraw(self) -> None:
        self.closed_at = timezone.now()


class CaseEvent(AppendOnlyModel):
    """The timeline and audit trail of a case: every transition and every decision."""

    case = models.ForeignKey(
        Case,
        verbose_name=_("办件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    approval = models.ForeignKey(
        "cases.Approval",
        verbose_name=_("审批"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    certificate = models.ForeignKey(
        "certificates.Certificate",
        verbose_name=_("证照"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    kind = models.CharField(_("类别"), max_length=20, choices=EventKind.choices)
    name = models.CharField(
        _("事件"), max_length=50, help_text=_("转换或动作的名称，如 submit、approve。")
    )
    from_state = models.CharField(_("原状态"), max_length=30, blank=True)
    to_state = models.CharField(_("新状态"), max_length=30, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    actor_department = models.ForeignKey(
        Department, verbose_name=_("操作部门"), on_delete=models.PROTECT, null=True, blank=True
    )
    actor_label = models.CharField(
        _("操作方"),
        max_length=100,
        blank=True,
        help_text=_("无用户时的操作方：系统、申请人、快递回调等。"),
    )
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    is_public = models.BooleanField(_("申请人可见"), default=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("办件事件")
        verbose_name_plural = _("办件事件")
        indexes = [models.Index(fields=["case", "created_at"], name="case_event_timeline")]
        constraints = [chain_position_unique("case_event_chain_position")]

    def __str__(self) -> str:
        # What the admin's titles and links show: the event in words, not its code name.
        return f"{self.case_id} {event_summary(self)}"

    def audit_chain_key(self) -> int:
        return self.case_id or 0


class Visit(models.Model):
    """Each time the applicant had to come in person, and why. The goal is at most one."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="visits"
    )
    reason = models.CharField(_("原因"), max_length=20, choices=VisitReason.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接待人员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("到场记录")
        verbose_name_plural = _("到场记录")
        indexes = [models.Index(fields=["case", "created_at"], name="visit_case")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_reason_display()}"


class Rating(models.Model):
    """好差评: five levels and a comment, once per case."""

    case = models.OneToOneField(
        Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="rating"
    )
    level = models.PositiveSmallIntegerField(
        _("评价"),
        choices=RatingLevel.choices,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("意见"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=5),
                name="rating_level_range",
                violation_error_message=_("评价只能是1至5级。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.level}"
