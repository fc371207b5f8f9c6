"""Case materials and the data-access log (verifications against the registries), view-only."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from departments.identifiers import mask_id_number

from ..models import CaseMaterial, Verification
from ..selectors import materials_required_by_department
from .base import ViewOnlyAdmin, editable_field_names, material_file_label


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
