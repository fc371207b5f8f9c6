"""Rule sets, edited as JSON (checked by ``RuleSet.clean`` and the registries that exist)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from departments.models import Department

from ..forms import RuleSetAdminForm
from ..models import RuleSet
from ..selectors import user_confined_rule_set_department_id
from .common import ConfinedToDepartmentMixin


@admin.register(RuleSet)
class RuleSetAdmin(ConfinedToDepartmentMixin, admin.ModelAdmin):
    form = RuleSetAdminForm
    department_lookup = "department_id"
    list_display = ("code", "name", "department", "updated_at")
    list_display_links = ("code", "name")
    list_select_related = ("department",)
    search_fields = ("code", "name")
    readonly_fields = ("updated_at",)
    ordering = ("code",)
    fields = ("code", "name", "department", "rules", "weight", "updated_at")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """An officer organises rounds for their own department only: it is the one
        choice (a select, not an autocomplete, which would need the catalogue's admin)."""
        if db_field.name == "department":
            department_id = user_confined_rule_set_department_id(request.user)
            departments = Department.objects.order_by("code")
            if department_id is not None:
                departments = departments.filter(pk=department_id)
            kwargs["queryset"] = departments
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: RuleSet | None = None) -> bool:
        return False
