"""What every cases admin page shares: department and centre scoping, read-only pages
and inlines, and the few labels several pages show.

Confined users (a department's reviewers, a county's or town's staff) see only
their part of the data; a row outside it answers 404, as one that does not exist.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import lookup_spawns_duplicates
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest

from centres.scope import centre_filter

from ..models import Applicant, CaseMaterial
from ..selectors import user_confined_department_id


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


class MissingIs404Mixin:
    """A row the admin cannot find — absent, or outside the user's scope — answers a plain
    404, like a row that does not exist (Django would redirect to the index with "does not
    exist"). Every admin that confines what a user sees uses it."""

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        found = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if found is None:
            raise Http404
        return found


class DepartmentScopedMixin(MissingIs404Mixin):
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


def material_file_label(material: CaseMaterial) -> str:
    """The file by name and size, never by a link: files are read through the approval page,
    where the download is permission-checked."""
    if not material.file:
        return "—"
    name = material.original_name or os.path.basename(material.file.name)
    return f"{name} ({material.size or 0} B)"
