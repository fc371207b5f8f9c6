from django.contrib import admin

from cases.admin import MissingIs404Mixin

from .models import Rectification, RectificationCallback
from .selectors.rectifications import rectifications_of


class RectificationCallbackInline(admin.TabularInline):
    model = RectificationCallback
    extra = 0
    can_delete = False
    readonly_fields = ("called_by", "note", "is_applicant_satisfied", "created_at")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # written by the service only


@admin.register(Rectification)
class RectificationAdmin(MissingIs404Mixin, admin.ModelAdmin):
    """Read-only here: tasks open from ratings and move through the services."""

    list_display = ("rating", "state", "due_date", "created_at")
    list_filter = ("state",)
    readonly_fields = (
        "rating",
        "state",
        "due_date",
        "closing_note",
        "closed_at",
        "closed_by",
        "created_at",
    )
    inlines = (RectificationCallbackInline,)

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        """A county's supervisors see their county's tasks only (``centres.scope``)."""
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=rectifications_of(request.user).values("pk"))
        )

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
