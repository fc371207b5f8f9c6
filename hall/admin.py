"""The hall in the admin: each centre's priority rule is edited here; tickets and calls
are read only (they change through the window's calling page)."""

from django.contrib import admin

from centres.scope import centre_filter

from .models import Call, HallRule, Ticket


@admin.register(HallRule)
class HallRuleAdmin(admin.ModelAdmin):
    list_display = ("centre", "priority_order")

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).filter(centre_filter(request.user))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read only, and only the rows of the user's part of the network (data scope)."""

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).filter(centre_filter(request.user))

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "centre", "queue", "day", "priority", "state", "window", "call_count")
    list_filter = ("state", "priority", "day")
    search_fields = ("number",)
    exclude = ("id_number",)
    readonly_fields = ("masked_id_number",)


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "window", "centre", "at")
    list_select_related = ("ticket", "window", "centre")
