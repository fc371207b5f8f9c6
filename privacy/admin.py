from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from supervision.access import is_supervisor

from .models import RetentionRun


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    """Read-only, for superusers and supervisors: runs are written by the retention only."""

    list_display = ("started_at", "trigger", "status", "counts", "finished_at")
    list_filter = ("status", "trigger")
    readonly_fields = (
        "started_at",
        "finished_at",
        "trigger",
        "status",
        "periods",
        "counts",
        "error",
    )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_supervisor(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_supervisor(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
