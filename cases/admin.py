"""Cases in the Django admin: reviewers and supervisors read here; they never move a state.

Cases, approvals and certificates are created and moved only by ``cases.services``
(the window pages, the API and the tasks call them), so the admin shows them
read-only: no add, no delete, every field read-only. That also keeps the
protected FSM fields out of every form, where a ModelForm would otherwise try
to assign them and fail. Audit rows (events, the data-access log), ratings and
number sequences are view-only for everyone, superusers included.

Every list joins what it shows (``list_select_related``), so a changelist costs
the same number of queries for 3 rows and for 30.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from departments.identifiers import mask_id_number, mask_phone

from .constants import SlaColour
from .models import (
    Applicant,
    Approval,
    Case,
    CaseEvent,
    CaseMaterial,
    Certificate,
    Delivery,
    NumberSequence,
    Rating,
    Verification,
    Visit,
)

SLA_COLOURS = {SlaColour.GREEN: "#2e7d32", SlaColour.AMBER: "#ef6c00", SlaColour.RED: "#c62828"}


def editable_field_names(model: type[models.Model]) -> tuple[str, ...]:
    """Every field a form could write, in model order: all of them read-only is "show, never write"."""
    return tuple(
        field.name
        for field in (*model._meta.concrete_fields, *model._meta.many_to_many)
        if not field.primary_key
    )


def applicant_label(applicant: Applicant) -> str:
    """The name intact, the number masked: enough to recognise someone in a list."""
    return f"{applicant.name} ({applicant.masked_id_number})"


class NoDeleteActionMixin:
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)  # type: ignore[misc]
        actions.pop("delete_selected", None)
        return actions


class WorkflowAdmin(NoDeleteActionMixin, admin.ModelAdmin):
    """A row that services create and change: shown in full, never added, deleted or re-stated here.

    ``department_lookup`` is the path from the row to the department it belongs
    to: scoping reviewers to their own department narrows ``get_queryset`` by it.
    """

    department_lookup: str | None = None
    show_full_result_count = False  # no COUNT(*) over the whole table on every page

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> tuple[str, ...]:
        return editable_field_names(self.model)


class ViewOnlyAdmin(WorkflowAdmin):
    """Shown, never written: no add, change or delete for anyone, superusers included."""

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> tuple[str, ...]:
        return tuple(self.fields or ())


# --- applicants ---


@admin.register(Applicant)
class ApplicantAdmin(admin.ModelAdmin):
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


class ApprovalInline(ReadOnlyInline):
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


class CaseMaterialInline(ReadOnlyInline):
    model = CaseMaterial
    fields = ("material_type", "status", "detail", "certificate", "verification", "file", "size")
    ordering = ("id",)

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


class CaseEventInline(ReadOnlyInline):
    """The timeline. Works under a case, an approval or a certificate (one foreign key to each)."""

    model = CaseEvent
    fields = (
        "created_at",
        "kind",
        "name",
        "from_state",
        "to_state",
        "approval",
        "actor",
        "actor_department",
        "actor_label",
        "note",
        "is_public",
    )
    ordering = ("created_at", "id")
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        return (
            super()
            .get_queryset(request)
            .select_related("actor", "actor_department", "approval__case", "approval__item")
        )


@admin.register(Case)
class CaseAdmin(WorkflowAdmin):
    """Read-only but for the visits inline: recording a visit is the one edit made here."""

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

    def save_model(self, request: HttpRequest, obj: Case, form: Any, change: bool) -> None:
        # Every field of the case is read-only, so there is nothing to write; saving
        # anyway would bump updated_at (which the reconciler reads) and race the
        # services' conditional state update. Only the inlines (visits) are saved.
        if not change:
            super().save_model(request, obj, form, change)


@admin.register(Approval)
class ApprovalAdmin(ViewOnlyAdmin):
    department_lookup = "department"
    list_display = ("tracking_no", "item", "department", "state", "sla", "due_date", "decided_at")
    list_filter = ("state", "sla_colour", "department")
    list_select_related = ("case", "item", "department")
    search_fields = ("^case__tracking_no",)
    ordering = ("due_date", "id")
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
                    "checks",
                )
            },
        ),
        (_("时间"), {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description=_("办件编号"), ordering="case__tracking_no")
    def tracking_no(self, approval: Approval) -> str:
        return approval.case.tracking_no

    @admin.display(description=_("时限状态"), ordering="sla_colour")
    def sla(self, approval: Approval) -> SafeString:
        return format_html(
            '<span style="color: {}; font-weight: bold;">● {}</span>',
            SLA_COLOURS.get(approval.sla_colour, "inherit"),
            approval.get_sla_colour_display(),
        )


@admin.register(CaseMaterial)
class CaseMaterialAdmin(ViewOnlyAdmin):
    """How each requirement was met is decided by the intake service; the reuse KPI counts it."""

    department_lookup = "case__approvals__department"
    list_display = ("case", "material_type", "status", "detail", "size", "created_at")
    list_filter = ("status", "material_type")
    list_select_related = ("case", "material_type")
    search_fields = ("^case__tracking_no",)
    ordering = ("-created_at", "-id")


@admin.register(Verification)
class VerificationAdmin(ViewOnlyAdmin):
    """The data-access log: append-only, so view-only here."""

    department_lookup = "requesting_department"
    list_display = (
        "created_at",
        "registry",
        "masked_subject_id",
        "purpose",
        "case",
        "requesting_department",
        "requested_by",
        "outcome",
    )
    list_filter = ("outcome", "registry", "requesting_department", "created_at")
    list_select_related = ("registry", "case", "requesting_department", "requested_by")
    search_fields = ("=subject_id", "^case__tracking_no")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")

    @admin.display(description=_("被查询主体"), ordering="subject_id")
    def masked_subject_id(self, verification: Verification) -> str:
        return mask_id_number(verification.subject_id)


@admin.register(Certificate)
class CertificateAdmin(ViewOnlyAdmin):
    department_lookup = "issuing_department"
    list_display = (
        "number",
        "certificate_type",
        "holder_display",
        "issuing_department",
        "status",
        "version",
        "valid_from",
        "valid_until",
        "issued_at",
    )
    list_filter = ("status", "holder_kind", "certificate_type", "issuing_department")
    list_select_related = ("certificate_type", "holder", "issuing_department")
    search_fields = ("=number", "=licence_id", "=holder__id_number")
    date_hierarchy = "issued_at"
    ordering = ("-issued_at", "-id")
    inlines = (CaseEventInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "number",
                    "licence_id",
                    "certificate_type",
                    "holder",
                    "holder_kind",
                    "issuing_department",
                    "data",
                )
            },
        ),
        (_("状态"), {"fields": ("status", "version", "supersedes", "revoked_at", "revoke_reason")}),
        (_("有效期"), {"fields": ("issued_at", "valid_from", "valid_until")}),
        (_("来源"), {"fields": ("approval", "case")}),
        (
            _("文件与核验"),
            {
                "fields": (
                    "pdf",
                    "pdf_sha256",
                    "pdf_signed_at",
                    "seal_fingerprint",
                    "verification_token",
                    "created_at",
                )
            },
        ),
    )

    @admin.display(description=_("持证主体"), ordering="holder__name")
    def holder_display(self, certificate: Certificate) -> str:
        return applicant_label(certificate.holder)


@admin.register(Delivery)
class DeliveryAdmin(WorkflowAdmin):
    """Created by the delivery service, moved by the courier webhook; a typo in the address may be fixed."""

    list_display = (
        "case",
        "courier",
        "waybill",
        "recipient",
        "masked_phone",
        "status",
        "delivered_at",
        "created_at",
    )
    list_filter = ("status", "courier", "created_at")
    list_select_related = ("case",)
    search_fields = ("=waybill", "^case__tracking_no")
    ordering = ("-created_at", "-id")
    fieldsets = (
        (None, {"fields": ("case", "courier", "waybill", "status")}),
        (
            _("收件"),
            {
                "fields": (
                    "recipient",
                    "phone",
                    "province",
                    "city",
                    "district",
                    "street_address",
                    "postal_code",
                )
            },
        ),
        (_("签收"), {"fields": ("signed_by", "delivered_at", "history", "created_at")}),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> tuple[str, ...]:
        return ("case", "status", "signed_by", "delivered_at", "history", "created_at")

    @admin.display(description=_("收件电话"))
    def masked_phone(self, delivery: Delivery) -> str:
        return mask_phone(delivery.phone)


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("case", "reason", "clerk", "created_at", "note")
    list_filter = ("reason", "created_at")
    list_select_related = ("case", "clerk")
    search_fields = ("^case__tracking_no",)
    autocomplete_fields = ("case", "clerk")
    ordering = ("-created_at", "-id")


@admin.register(CaseEvent)
class CaseEventAdmin(ViewOnlyAdmin):
    """The audit trail: append-only, so view-only here."""

    department_lookup = "actor_department"
    list_display = (
        "created_at",
        "case",
        "kind",
        "name",
        "transition",
        "actor_display",
        "actor_department",
        "is_public",
    )
    list_filter = ("kind", "is_public", "actor_department", "created_at")
    list_select_related = ("case", "actor", "actor_department")
    search_fields = ("^case__tracking_no", "=name")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")

    @admin.display(description=_("状态变化"))
    def transition(self, event: CaseEvent) -> str:
        if not event.from_state and not event.to_state:
            return ""
        return f"{event.from_state} → {event.to_state}"

    @admin.display(description=_("操作人"), ordering="actor__username")
    def actor_display(self, event: CaseEvent) -> str:
        return str(event.actor) if event.actor is not None else event.actor_label


@admin.register(Rating)
class RatingAdmin(ViewOnlyAdmin):
    """好差评 as the applicant gave it: nobody edits or removes a rating."""

    list_display = ("case", "level", "comment", "created_at")
    list_filter = ("level", "created_at")
    list_select_related = ("case",)
    search_fields = ("^case__tracking_no",)
    ordering = ("-created_at", "-id")


@admin.register(NumberSequence)
class NumberSequenceAdmin(ViewOnlyAdmin):
    """Counters behind printed numbers: setting one back would hand out a number twice."""

    list_display = ("name", "value")
    search_fields = ("name",)
    ordering = ("name",)
