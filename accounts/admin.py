"""Sign-in records in the admin: django-axes' tables, and the unlocks recorded here.

Deleting a counted failure (axes' way to unlock in the admin) goes through
``services.sign_in_attempts_unlock``, which records who unlocked what. The failure and
sign-in logs are records: read-only, never deleted here.
"""

from __future__ import annotations

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .models import SignInUnlock
from .services import sign_in_attempts_unlock


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    def delete_model(self, request: HttpRequest, obj: AccessAttempt) -> None:
        sign_in_attempts_unlock(
            attempts=AccessAttempt.objects.filter(pk=obj.pk), actor=request.user
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        sign_in_attempts_unlock(attempts=queryset, actor=request.user)


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(_ReadOnly, axes_admin.AccessFailureLogAdmin):
    pass


@admin.register(AccessLog)
class AccessLogAdmin(_ReadOnly, axes_admin.AccessLogAdmin):
    pass


@admin.register(SignInUnlock)
class SignInUnlockAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "created_at",
        "username",
        "ip_address",
        "attempts_cleared",
        "channel",
        "operator",
    )
    list_filter = ("channel", "created_at")
    search_fields = ("username", "ip_address", "operator")
    date_hierarchy = "created_at"
    list_select_related = ("unlocked_by",)
