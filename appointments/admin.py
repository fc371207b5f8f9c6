"""The admin: operators set each queue's slot rule; appointments are read there, within
the staff member's part of the network (``centres.scope``)."""

from __future__ import annotations

from django.contrib import admin

from centres.scope import centre_filter

from .models import Appointment, SlotRule


@admin.register(SlotRule)
class SlotRuleAdmin(admin.ModelAdmin):
    list_display = ("queue", "slot_minutes", "capacity", "days_ahead")
    list_select_related = ("queue__centre",)
    autocomplete_fields = ()

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).filter(centre_filter(request.user, "queue__centre"))


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read only: appointments change through the portal, the window and the kiosk."""

    list_display = ("number", "centre", "queue", "day", "start", "state", "channel")
    list_filter = ("state", "channel", "day")
    list_select_related = ("centre", "queue")
    search_fields = ("number",)
    exclude = ("id_number",)
    readonly_fields = [
        field.name for field in Appointment._meta.fields if field.name != "id_number"
    ]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).filter(centre_filter(request.user, "centre"))

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
