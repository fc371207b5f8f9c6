"""The reviewer's desk: approvals, most urgent first, and the views that decide them.

A decision is a POST to ``<id>/decide/`` that calls one review service; a refusal is
shown as a message and changes nothing. Material files are downloaded through
``<id>/materials/<material>/file/``, for the deciding department's reviewers only.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments.roles import is_reviewer_of

from ..constants import TRANSITION_LABELS, SlaColour, VerificationOutcome
from ..exceptions import CaseError
from ..models import Approval, Verification
from ..selectors import (
    approval_materials,
    approval_sla_rank,
    approval_urgency_ordering,
    user_confined_department_id,
)
from ..selectors.overrides import case_registry_overrides, registry_override_exists
from ..services.decisions import (
    DECISION_TRANSITIONS,
    ApprovalDecision,
    DecisionInvalidError,
    approval_decide,
    approval_supplement_choices,
)
from .base import ViewOnlyAdmin
from .cases import CaseEventInline

SLA_COLOURS = {SlaColour.GREEN: "#2e7d32", SlaColour.AMBER: "#ef6c00", SlaColour.RED: "#c62828"}


@admin.register(Approval)
class ApprovalAdmin(ViewOnlyAdmin):
    """The reviewer's desk: their department's approvals, most urgent first.

    The page of an approval shows its check results and the case materials its
    item asks for (files downloaded through a permission-checked view), and the
    decisions the user may take now, each of which calls the review services.
    The row itself is never edited here.
    """

    centre_lookup = "case__centre"

    department_lookup = "department"
    list_display = (
        "tracking_no",
        "item",
        "department",
        "state",
        "sla",
        "registry_override",
        "due_date",
        "decided_at",
    )
    list_filter = ("state", "sla_colour", "department")
    list_select_related = ("case", "item", "department")
    search_fields = ("^case__tracking_no",)
    inlines = (CaseEventInline,)
    fieldsets = (
        (None, {"fields": ("case", "item", "department", "waits_for")}),
        (
            _("办理进度"),
            {"fields": ("state", "sla_colour", "due_date", "started_at", "suspended_at")},
        ),
        (
            _("决定"),
            {
                "fields": (
                    "decided_at",
                    "decided_by",
                    "is_auto_decided",
                    "decision_note",
                    "supplement_materials",
                )
            },
        ),
        (_("时间"), {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Approval]:
        return (
            super()
            .get_queryset(request)
            .select_related("case", "item", "department", "decided_by")
            .annotate(has_registry_override=registry_override_exists("case_id"))
        )

    @admin.display(description=_("改动共享数据"), boolean=True)
    def registry_override(self, approval: Approval) -> bool:
        return bool(getattr(approval, "has_registry_override", False))

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return approval_urgency_ordering()

    def get_list_display(self, request: HttpRequest) -> Any:
        if user_confined_department_id(request.user) is None:
            return self.list_display
        return tuple(name for name in self.list_display if name != "department")

    def get_list_filter(self, request: HttpRequest) -> Any:
        if user_confined_department_id(request.user) is None:
            return self.list_filter
        return tuple(name for name in self.list_filter if name != "department")

    @admin.display(description=_("办件编号"), ordering="case__tracking_no")
    def tracking_no(self, approval: Approval) -> str:
        return approval.case.tracking_no

    @admin.display(description=_("时限状态"), ordering=approval_sla_rank())
    def sla(self, approval: Approval) -> SafeString:
        return format_html(
            '<span style="color: {}; font-weight: bold;">● {}</span>',
            SLA_COLOURS.get(approval.sla_colour, "inherit"),
            approval.get_sla_colour_display(),
        )

    # --- the page of one approval ---

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name=f"{prefix}_decide",
            ),
            path(
                "<path:object_id>/materials/<int:material_id>/file/",
                self.admin_site.admin_view(self.material_file_view),
                name=f"{prefix}_material_file",
            ),
            *super().get_urls(),
        ]

    def allowed_decisions(self, request: HttpRequest, approval: Approval) -> list[tuple[str, str]]:
        """The decisions whose transition this user may run on the approval as it is now."""
        available = {
            transition.name
            for transition in approval.get_available_user_state_transitions(request.user)  # type: ignore[attr-defined]
        }
        return [
            (decision.value, str(decision.label))
            for decision in ApprovalDecision
            if DECISION_TRANSITIONS[decision] in available
        ]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Approval | None = None,
    ) -> TemplateResponse:
        if obj is not None:
            decisions = self.allowed_decisions(request, obj)
            context.update(
                {
                    # Prominent on the page: what intake changed against the registries.
                    # The deciding department's reviewers read the values in full.
                    "registry_overrides": case_registry_overrides(
                        case=obj.case,
                        in_full=is_reviewer_of(request.user, obj.department_id),
                        item_codes={obj.item.code},
                    ),
                    "approval_checks": self.checks_for_display(request, obj),
                    "approval_materials": list(approval_materials(approval=obj)),
                    "may_download_files": is_reviewer_of(request.user, obj.department_id),
                    "approval_decisions": decisions,
                    "supplement_choices": (
                        approval_supplement_choices(approval=obj)
                        if any(value == ApprovalDecision.SUPPLEMENT for value, _label in decisions)
                        else []
                    ),
                }
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def checks_for_display(self, request: HttpRequest, approval: Approval) -> list[dict[str, Any]]:
        outcomes = dict(VerificationOutcome.choices)
        may_open_log = admin.site.is_registered(Verification) and request.user.has_perm(
            "cases.view_verification"
        )
        rows = []
        for check in approval.checks or []:
            if not isinstance(check, dict):
                continue
            verification_id = check.get("verification")
            rows.append(
                {
                    **check,
                    "outcome_label": outcomes.get(check.get("outcome"), check.get("outcome")),
                    "verification_url": (
                        reverse("admin:cases_verification_change", args=[verification_id])
                        if verification_id and may_open_log
                        else ""
                    ),
                }
            )
        return rows

    def _approval_or_404(self, request: HttpRequest, object_id: str) -> Approval:
        approval = self.get_object(request, unquote(object_id))
        if approval is None:
            raise Http404
        if not self.has_view_permission(request, approval):
            raise PermissionDenied
        return approval

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The decision buttons: one service call; a refusal explains itself and changes nothing."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        approval = self._approval_or_404(request, object_id)
        change_url = reverse("admin:cases_approval_change", args=[approval.pk])
        decision = request.POST.get("decision", "")
        try:
            approval = approval_decide(
                approval=approval,
                actor=request.user,
                decision=decision,
                note=request.POST.get("note", ""),
                materials=request.POST.getlist("materials"),
                seen_state=request.POST.get("seen_state") or None,
            )
        except DecisionInvalidError as error:
            for field_messages in error.errors.values():
                for message in field_messages:
                    self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(change_url)
        except CaseError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(change_url)
        self.message_user(
            request,
            gettext("%(approval)s：已%(action)s，当前状态「%(state)s」。")
            % {
                "approval": approval,
                "action": TRANSITION_LABELS[DECISION_TRANSITIONS[ApprovalDecision(decision)]],
                "state": approval.get_state_display(),
            },
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:cases_approval_changelist"))

    def material_file_view(
        self, request: HttpRequest, object_id: str, material_id: int
    ) -> HttpResponse:
        """A material's file, for the reviewers of the approval's department only."""
        approval = self._approval_or_404(request, object_id)
        if not is_reviewer_of(request.user, approval.department_id):
            raise PermissionDenied
        material = approval_materials(approval=approval).filter(pk=material_id).first()
        if material is None or not material.file:
            raise Http404
        try:
            handle = material.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=material.original_name or os.path.basename(material.file.name),
            content_type=material.content_type or "application/octet-stream",
        )
        response["Cache-Control"] = "private, no-store"
        return response
