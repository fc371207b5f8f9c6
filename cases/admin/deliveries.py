"""Deliveries by courier and the courier's status calls as received."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from departments.identifiers import mask_phone

from ..models import CourierEvent, Delivery
from .base import ViewOnlyAdmin, WorkflowAdmin


@admin.register(Delivery)
class DeliveryAdmin(WorkflowAdmin):
    """Created by the delivery service, moved by the courier webhook; a typo in the address may be fixed."""

    centre_lookup = "case__centre"

    list_display = (
        "case",
        "courier",
        "waybill",
        "recipient",
        "masked_phone",
        "status",
        "delivered_at",
        "created_at",
    )
    list_filter = ("status", "courier", "created_at")
    list_select_related = ("case",)
    search_fields = ("=waybill", "^case__tracking_no")
    ordering = ("-created_at", "-id")
    fieldsets = (
        (None, {"fields": ("case", "courier", "waybill", "status")}),
        (
            _("收件"),
            {
                "fields": (
                    "recipient",
                    "phone",
                    "province",
                    "city",
                    "district",
                    "street",
                    "street_address",
                    "postal_code",
                )
            },
        ),
        (
            _("快递下单"),
            {
                "fields": (
                    "booking_status",
                    "booking_attempts",
                    "booking_error",
                    "courier_reference",
                    "booked_at",
                    "created_by",
                )
            },
        ),
        (_("签收"), {"fields": ("signed_by", "delivered_at", "history", "created_at")}),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> tuple[str, ...]:
        return (
            "case",
            "courier",
            "waybill",
            "status",
            "signed_by",
            "delivered_at",
            "history",
            "booking_status",
            "booking_attempts",
            "booking_error",
            "courier_reference",
            "booked_at",
            "created_by",
            "created_at",
        )

    @admin.display(description=_("收件电话"))
    def masked_phone(self, delivery: Delivery) -> str:
        return mask_phone(delivery.phone)


@admin.register(CourierEvent)
class CourierEventAdmin(ViewOnlyAdmin):
    """Courier status calls as received: append-only, so view-only here."""

    centre_lookup = "delivery__case__centre"

    list_display = ("received_at", "courier", "event_id", "delivery", "status", "occurred_at")
    list_filter = ("courier", "status", "received_at")
    list_select_related = ("delivery",)
    search_fields = ("=event_id", "=delivery__waybill")
    ordering = ("-received_at", "-id")
