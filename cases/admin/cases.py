"""The case and the applicant in the admin, and the inlines a case page shows.

The inlines (approvals, materials, visits, the timeline) are also used under the
approval and certificate pages, each confined to what a reviewer may read.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from departments.identifiers import mask_phone

from ..events import event_label, event_states
from ..models import Applicant, Approval, Case, CaseEvent, CaseMaterial, Visit
from ..selectors import materials_required_by_department, user_confined_department_id
from ..selectors.overrides import case_registry_overrides
from .base import (
    ConfinedInlineMixin,
    DepartmentScopedMixin,
    ReadOnlyInline,
    WorkflowAdmin,
    applicant_label,
    material_file_label,
)

# --- applicants ---


@admin.register(Applicant)
class ApplicantAdmin(DepartmentScopedMixin, admin.ModelAdmin):
    centre_lookup = "cases__centre"  # the people with a case in the scope
    list_display = ("name", "kind", "id_type", "masked_id_number", "masked_phone", "created_at")
    list_filter = ("kind", "id_type", "id_check_overridden")
    # The number only by exact match: a fragment must not list (and so reveal) other people.
    search_fields = ("=id_number", "name")
    ordering = ("-created_at", "-id")
    fieldsets = (
        (None, {"fields": ("kind", "id_type", "id_number", "name", "legal_representative")}),
        (_("联系方式"), {"fields": ("phone", "address")}),
        (_("其他"), {"fields": ("id_check_overridden", "created_at", "updated_at")}),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Applicant | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ("created_at", "updated_at")
        # Certificates, cases and data-access logs hang on this identity: it is fixed once created.
        return ("kind", "id_type", "id_number", "id_check_overridden", "created_at", "updated_at")

    @admin.display(description=_("证件号码"), ordering="id_number")
    def masked_id_number(self, applicant: Applicant) -> str:
        return applicant.masked_id_number

    @admin.display(description=_("联系电话"))
    def masked_phone(self, applicant: Applicant) -> str:
        return mask_phone(applicant.phone)


# --- cases ---


class ApprovalInline(ConfinedInlineMixin, ReadOnlyInline):
    model = Approval
    fields = (
        "item",
        "department",
        "state",
        "sla_colour",
        "due_date",
        "decided_at",
        "is_auto_decided",
    )
    ordering = ("id",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Approval]:
        return super().get_queryset(request).select_related("item", "department")

    def department_condition(self, department_id: int) -> Q:
        return Q(department_id=department_id)


class CaseMaterialInline(ConfinedInlineMixin, ReadOnlyInline):
    model = CaseMaterial
    fields = (
        "material_type",
        "status",
        "detail",
        "certificate",
        "verification",
        "file_name",
        "size",
    )
    ordering = ("id",)

    @admin.display(description=_("文件"))
    def file_name(self, material: CaseMaterial) -> str:
        return material_file_label(material)

    def department_condition(self, department_id: int) -> Q:
        return materials_required_by_department(department_id)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseMaterial]:
        return (
            super()
            .get_queryset(request)
            .select_related(
                "material_type", "certificate__certificate_type", "verification__registry"
            )
        )


class VisitInline(admin.TabularInline):
    model = Visit
    fields = ("created_at", "reason", "note", "clerk")
    autocomplete_fields = ("clerk",)
    ordering = ("created_at", "id")
    extra = 0


class CaseEventInline(ConfinedInlineMixin, ReadOnlyInline):
    """The timeline. Works under a case, an approval or a certificate (one foreign key to each).

    A confined reviewer sees the case's own events and those of their department's
    approvals, not the notes other departments wrote on theirs.
    """

    model = CaseEvent
    fields = (
        "created_at",
        "kind",
        "event",
        "transition",
        "approval",
        "actor",
        "actor_department",
        "actor_label",
        "note",
        "is_public",
    )
    ordering = ("created_at", "id")
    show_change_link = False

    @admin.display(description=_("事件"))
    def event(self, event: CaseEvent) -> str:
        return event_label(event.name)

    @admin.display(description=_("状态变化"))
    def transition(self, event: CaseEvent) -> str:
        return event_states(event)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        return (
            super()
            .get_queryset(request)
            .select_related("actor", "actor_department", "approval__case", "approval__item")
        )

    def department_condition(self, department_id: int) -> Q:
        return Q(approval__isnull=True) | Q(approval__department_id=department_id)


@admin.register(Case)
class CaseAdmin(WorkflowAdmin):
    """Read-only but for the visits inline: recording a visit is the one edit made here."""

    centre_lookup = "centre"

    department_lookup = "approvals__department"  # spans rows: filter with Exists, not a join
    list_display = (
        "tracking_no",
        "applicant_display",
        "channel",
        "state",
        "bundle",
        "due_date",
        "created_at",
    )
    list_filter = ("state", "channel", "bundle", "created_at")
    list_select_related = ("applicant", "bundle")
    search_fields = ("^tracking_no", "=applicant__id_number")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    inlines = (ApprovalInline, CaseMaterialInline, VisitInline, CaseEventInline)
    fieldsets = (
        (
            None,
            {"fields": ("tracking_no", "applicant", "channel", "created_by", "bundle", "items")},
        ),
        (_("办理进度"), {"fields": ("state", "due_date", "refusal_reason")}),
        (
            _("时间"),
            {
                "fields": (
                    "submitted_at",
                    "accepted_at",
                    "concluded_at",
                    "closed_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
        (
            _("其他"),
            {"fields": ("idempotency_key",)},
        ),
    )

    @admin.display(description=_("申请人"), ordering="applicant__name")
    def applicant_display(self, case: Case) -> str:
        return applicant_label(case.applicant)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Case | None = None,
    ) -> TemplateResponse:
        if obj is not None:
            # A reviewer of one of the case's departments (the only confined users who
            # can open it) reads the values in full; anyone else, a person's masked.
            context["registry_overrides"] = case_registry_overrides(
                case=obj, in_full=user_confined_department_id(request.user) is not None
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Case | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if user_confined_department_id(request.user) is None:
            return fieldsets
        # The case's other items belong to other departments: a reviewer sees theirs
        # in the approvals below, and nothing of the rest.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "items"]})
            for name, options in fieldsets
        ]

    def save_model(self, request: HttpRequest, obj: Case, form: Any, change: bool) -> None:
        # Every field of the case is read-only, so there is nothing to write; saving
        # anyway would bump updated_at (which the reconciler reads) and race the
        # services' conditional state update. Only the inlines (visits) are saved.
        if not change:
            super().save_model(request, obj, form, change)
