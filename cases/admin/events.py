"""The audit trail, counter visits and ratings: what happened to a case, as recorded."""

from __future__ import annotations

import json

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..constants import REGISTRY_OVERRIDE_EVENT
from ..events import event_label, event_states
from ..models import CaseEvent, Rating, Visit
from ..selectors.overrides import override_value_masked
from .base import DepartmentScopedMixin, ViewOnlyAdmin


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
