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

import json
import os
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import lookup_spawns_duplicates, unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
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

from centres.scope import centre_filter
from departments.identifiers import mask_id_number, mask_phone
from departments.roles import is_reviewer_of

from .constants import (
    REGISTRY_OVERRIDE_EVENT,
    TRANSITION_LABELS,
    SlaColour,
    VerificationOutcome,
)
from .events import event_label, event_states
from .exceptions import CaseError
from .models import (
    Applicant,
    Approval,
    AuditChainHead,
    Case,
    CaseEvent,
    CaseMaterial,
    Certificate,
    CourierEvent,
    Delivery,
    Job,
    NumberSequence,
    Rating,
    Verification,
    Visit,
)
from .selectors import (
    approval_materials,
    approval_sla_rank,
    approval_urgency_ordering,
    materials_required_by_department,
    user_confined_department_id,
)
from .selectors.overrides import (
    case_registry_overrides,
    override_value_masked,
    registry_override_exists,
)
from .services.decisions import (
    DECISION_TRANSITIONS,
    ApprovalDecision,
    DecisionInvalidError,
    approval_decide,
    approval_supplement_choices,
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


class DepartmentScopedMixin:
    """Reviewers and department systems see only their own department's rows.

    ``department_lookup`` is the path from the row to its department; a class
    without one shows confined users nothing (deny by default). Superusers,
    supervisors and window staff are not confined. A row outside the user's
    scope answers 404, exactly like one that does not exist: its existence is
    not confirmed to another department.
    """

    department_lookup: str | None = None
    # The path from the row to the centre of its case: clerks and supervisors of a county,
    # a town or a village see only their part of the network (``centres.scope``). A class
    # without one shows them nothing.
    centre_lookup: str | None = None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = self.confine_to_centre(
            super().get_queryset(request),  # type: ignore[misc]
            request.user,
        )
        department_id = user_confined_department_id(request.user)
        if department_id is None:
            return queryset
        return self.confine_to_department(queryset, department_id)

    def confine_to_centre(self, queryset: QuerySet, user: Any) -> QuerySet:
        condition = centre_filter(user, self.centre_lookup or "")
        if not condition:  # the whole network
            return queryset
        if self.centre_lookup is None:
            return queryset.none()
        if lookup_spawns_duplicates(queryset.model._meta, self.centre_lookup):
            return queryset.filter(
                Exists(queryset.model._default_manager.filter(condition, pk=OuterRef("pk")))
            )
        return queryset.filter(condition)

    def confine_to_department(self, queryset: QuerySet, department_id: int) -> QuerySet:
        if self.department_lookup is None:
            return queryset.none()
        model = queryset.model
        if lookup_spawns_duplicates(model._meta, self.department_lookup):
            # A lookup across a to-many relation would repeat rows when joined.
            return queryset.filter(
                Exists(
                    model._default_manager.filter(
                        pk=OuterRef("pk"), **{self.department_lookup: department_id}
                    )
                )
            )
        return queryset.filter(**{self.department_lookup: department_id})

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        """Django redirects to the index with "does not exist"; out of scope must be a
        plain 404, like a row that does not exist."""
        found = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if found is None:
            raise Http404
        return found


class ConfinedInlineMixin:
    """An inline under a page a confined user may open shows only their department's rows."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        department_id = user_confined_department_id(request.user)
        if department_id is None:
            return queryset
        return queryset.filter(self.department_condition(department_id))

    def department_condition(self, department_id: int) -> Q:
        raise NotImplementedError


class NoDeleteActionMixin:
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)  # type: ignore[misc]
        actions.pop("delete_selected", None)
        return actions


class WorkflowAdmin(DepartmentScopedMixin, NoDeleteActionMixin, admin.ModelAdmin):
    """A row that services create and change: shown in full, never added, deleted or re-stated here.

    ``department_lookup`` is the path from the row to the department it belongs
    to: scoping reviewers to their own department narrows ``get_queryset`` by it.
    """

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


def material_file_label(material: CaseMaterial) -> str:
    """The file by name and size, never by a link: files are read through the approval page,
    where the download is permission-checked."""
    if not material.file:
        return "—"
    name = material.original_name or os.path.basename(material.file.name)
    return f"{name} ({material.size or 0} B)"


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


@admin.register(CaseMaterial)
class CaseMaterialAdmin(ViewOnlyAdmin):
    """How each requirement was met is decided by the intake service; the reuse KPI counts it."""

    centre_lookup = "case__centre"

    department_lookup = "case__approvals__department"
    list_display = ("case", "material_type", "status", "detail", "size", "created_at")
    list_filter = ("status", "material_type")
    list_select_related = ("case", "material_type")
    search_fields = ("^case__tracking_no",)
    ordering = ("-created_at", "-id")

    def confine_to_department(self, queryset: QuerySet, department_id: int) -> QuerySet:
        # Not every material of a case the department has a part in: only those its items ask for.
        return queryset.filter(materials_required_by_department(department_id))

    def get_fields(self, request: HttpRequest, obj: CaseMaterial | None = None) -> list[str]:
        return [
            "file_name" if name == "file" else name for name in editable_field_names(self.model)
        ]

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> tuple[str, ...]:
        return (*editable_field_names(self.model), "file_name")

    @admin.display(description=_("文件"))
    def file_name(self, material: CaseMaterial) -> str:
        return material_file_label(material)


@admin.register(Verification)
class VerificationAdmin(ViewOnlyAdmin):
    """The data-access log: append-only, so view-only here."""

    centre_lookup = "case__centre"

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
    centre_lookup = "case__centre"
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

    centre_lookup = "case__centre"

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
                    "street",
                    "street_address",
                    "postal_code",
                )
            },
        ),
        (
            _("快递下单"),
            {
                "fields": (
                    "booking_status",
                    "booking_attempts",
                    "booking_error",
                    "courier_reference",
                    "booked_at",
                    "created_by",
                )
            },
        ),
        (_("签收"), {"fields": ("signed_by", "delivered_at", "history", "created_at")}),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> tuple[str, ...]:
        return (
            "case",
            "courier",
            "waybill",
            "status",
            "signed_by",
            "delivered_at",
            "history",
            "booking_status",
            "booking_attempts",
            "booking_error",
            "courier_reference",
            "booked_at",
            "created_by",
            "created_at",
        )

    @admin.display(description=_("收件电话"))
    def masked_phone(self, delivery: Delivery) -> str:
        return mask_phone(delivery.phone)


@admin.register(CourierEvent)
class CourierEventAdmin(ViewOnlyAdmin):
    """Courier status calls as received: append-only, so view-only here."""

    centre_lookup = "delivery__case__centre"

    list_display = ("received_at", "courier", "event_id", "delivery", "status", "occurred_at")
    list_filter = ("courier", "status", "received_at")
    list_select_related = ("delivery",)
    search_fields = ("=event_id", "=delivery__waybill")
    ordering = ("-received_at", "-id")


@admin.register(Visit)
class VisitAdmin(DepartmentScopedMixin, admin.ModelAdmin):
    centre_lookup = "case__centre"
    list_display = ("case", "reason", "clerk", "created_at", "note")
    list_filter = ("reason", "created_at")
    list_select_related = ("case", "clerk")
    search_fields = ("^case__tracking_no",)
    autocomplete_fields = ("case", "clerk")
    ordering = ("-created_at", "-id")


@admin.register(CaseEvent)
class CaseEventAdmin(ViewOnlyAdmin):
    """The audit trail: append-only, so view-only here."""

    centre_lookup = "case__centre"

    department_lookup = "actor_department"
    list_display = (
        "created_at",
        "case",
        "kind",
        "event",
        "transition",
        "actor_display",
        "actor_department",
        "is_public",
    )
    # The page shows the event and its states in words; the raw name stays searchable.
    fields = (
        "case",
        "approval",
        "certificate",
        "kind",
        "event",
        "transition",
        "actor",
        "actor_department",
        "actor_label",
        "note",
        "data_display",
        "is_public",
        "created_at",
    )
    list_filter = ("kind", "is_public", "actor_department", "created_at")
    list_select_related = ("case", "actor", "actor_department")
    search_fields = ("^case__tracking_no", "=name")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), "event", "transition", "data_display")

    @admin.display(description=_("数据"))
    def data_display(self, event: CaseEvent) -> str:
        """The event's data; an override's values masked (the audit trail's readers are
        supervisors, who need not read a person's name in full)."""
        data = event.data
        if event.name == REGISTRY_OVERRIDE_EVENT and isinstance(data, dict) and event.case_id:
            kind = event.case.applicant.kind
            data = {
                **data,
                **{
                    key: override_value_masked(data=data, value=str(data.get(key) or ""), kind=kind)
                    for key in ("registry_value", "typed_value")
                },
            }
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)

    @admin.display(description=_("事件"), ordering="name")
    def event(self, event: CaseEvent) -> str:
        return event_label(event.name)

    @admin.display(description=_("状态变化"))
    def transition(self, event: CaseEvent) -> str:
        return event_states(event)

    @admin.display(description=_("操作人"), ordering="actor__username")
    def actor_display(self, event: CaseEvent) -> str:
        return str(event.actor) if event.actor is not None else event.actor_label


@admin.register(Rating)
class RatingAdmin(ViewOnlyAdmin):
    """好差评 as the applicant gave it: nobody edits or removes a rating."""

    centre_lookup = "case__centre"

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


@admin.register(Job)
class JobAdmin(ViewOnlyAdmin):
    """The outbox: what the back office still has to do, and what went wrong."""

    list_display = ("key", "kind", "state", "attempts", "next_try_at", "updated_at")
    list_filter = ("state", "kind")
    search_fields = ("^key",)
    ordering = ("-id",)
    readonly_fields = ("last_error",)


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ViewOnlyAdmin):
    """Where each audit hash chain ends; ``manage.py verify_audit`` checks the rows against it."""

    list_display = ("name", "position", "last_hash")
    ordering = ("name",)
