from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from departments.models import Department, ServiceItem

from .. import permissions
from ..constants import APPROVAL_OPEN_STATES, ApprovalState, SlaColour
from .cases import Case


class Approval(ConcurrentTransitionMixin, models.Model):
    """One department's decision on one item of a case: the parallel sub-task."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="approvals"
    )
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="approvals"
    )
    # Copied from the item at dispatch: the reviewer's filter, and the department
    # that decided even if the catalogue later moves the item.
    department = models.ForeignKey(
        Department, verbose_name=_("审批部门"), on_delete=models.PROTECT, related_name="approvals"
    )
    state = FSMField(
        _("状态"),
        max_length=30,
        choices=ApprovalState.choices,
        default=ApprovalState.PENDING,
        protected=True,
    )
    waits_for = models.ManyToManyField(
        "self",
        verbose_name=_("等待"),
        symmetrical=False,
        blank=True,
        related_name="unblocks",
        help_text=_("本案中产生本事项所需证照的其他审批。"),
    )
    due_date = models.DateField(_("承诺办结日期"), null=True, blank=True)
    sla_colour = models.CharField(
        _("时限状态"), max_length=10, choices=SlaColour.choices, default=SlaColour.GREEN
    )
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_approvals",
    )
    is_auto_decided = models.BooleanField(_("秒批"), default=False)
    decision_note = models.TextField(_("决定意见"), blank=True)
    supplement_materials = models.JSONField(_("补正材料"), default=list, blank=True)
    checks = models.JSONField(_("自动核验结果"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("部门审批")
        verbose_name_plural = _("部门审批")
        constraints = [
            models.UniqueConstraint(fields=["case", "item"], name="approval_unique_case_item")
        ]
        indexes = [
            models.Index(
                fields=["department", "state", "due_date"], name="approval_department_queue"
            ),
            models.Index(fields=["state", "updated_at"], name="approval_state_updated"),
        ]
        permissions = [("decide_approval", _("可以作出审批决定"))]

    def __str__(self) -> str:
        return f"{self.case.tracking_no} · {self.item.name}"

    @property
    def is_final(self) -> bool:
        return self.state not in APPROVAL_OPEN_STATES

    # --- transitions ---

    @transition(
        field=state,
        source=ApprovalState.WAITING,
        target=ApprovalState.PENDING,
        permission=permissions.is_administrator,
    )
    def unblock(self, *, due_date: dt.date | None = None) -> None:
        """The certificate this approval waited for now exists: the department's time starts."""
        self.started_at = timezone.now()
        if due_date is not None:
            self.due_date = due_date

    @transition(
        field=state,
        source=ApprovalState.PENDING,
        target=ApprovalState.IN_REVIEW,
        permission=permissions.is_administrator,
    )
    def start_review(self, *, checks: list) -> None:
        """Automatic checks done; a reviewer decides."""
        self.checks = checks

    @transition(
        field=state,
        source=ApprovalState.PENDING,
        target=ApprovalState.APPROVED,
        permission=permissions.is_administrator,
    )
    def auto_approve(self, *, checks: list) -> None:
        """秒批: the item allows it and every check passed."""
        self.checks = checks
        self.is_auto_decided = True
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=ApprovalState.IN_REVIEW,
        target=ApprovalState.APPROVED,
        permission=permissions.is_reviewer_of_approval,
    )
    def approve(self, *, by: object = None, decision_note: str = "") -> None:
        self.decided_at = timezone.now()
        self.decided_by = by
        self.decision_note = decision_note

    @transition(
        field=state,
        source=ApprovalState.IN_REVIEW,
        target=ApprovalState.REJECTED,
        permission=permissions.is_reviewer_of_approval,
    )
    def reject(self, *, by: object = None, decision_note: str) -> None:
        self.decided_at = timezone.now()
        self.decided_by = by
        self.decision_note = decision_note

    @transition(
        field=state,
        source=ApprovalState.IN_REVIEW,
        target=ApprovalState.SUPPLEMENT_REQUESTED,
        permission=permissions.is_reviewer_of_approval,
    )
    def request_supplement(self, *, materials: list[str], decision_note: str = "") -> None:
        self.supplement_materials = materials
        self.decision_note = decision_note
        self.suspended_at = timezone.now()

    @transition(
        field=state,
        source=ApprovalState.SUPPLEMENT_REQUESTED,
        target=ApprovalState.IN_REVIEW,
        permission=permissions.is_reviewer_or_window_staff,
    )
    def receive_supplement(self, *, new_due_date: dt.date | None = None) -> None:
        """The supplement arrived: the clock runs again, extended by the days it stood still."""
        self.suspended_at = None
        if new_due_date is not None:
            self.due_date = new_due_date

    @transition(
        field=state,
        source=APPROVAL_OPEN_STATES,
        target=ApprovalState.VOIDED,
        permission=permissions.is_administrator,
    )
    def void(self, *, decision_note: str) -> None:
        """The case was withdrawn, or a sibling of an all-or-nothing bundle was rejected."""
        self.decided_at = timezone.now()
        self.decision_note = decision_note
