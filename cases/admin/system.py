"""The machinery behind the cases: number counters, the job outbox, the audit chain heads."""

from __future__ import annotations

from django.contrib import admin

from ..models import AuditChainHead, Job, NumberSequence
from .base import ViewOnlyAdmin


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
