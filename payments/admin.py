from django.contrib import admin

from .models import Payment, PaymentNotification


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Read-only: money moves through the services (pay, waive, refund), never by hand."""

    list_display = ("case", "amount", "state", "provider_order_id", "paid_at")
    list_filter = ("state", "provider")
    search_fields = ("case__tracking_no", "provider_order_id", "provider_transaction_id")

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(PaymentAdmin):
    list_display = ("received_at", "provider", "provider_order_id", "is_signature_valid", "outcome")
    list_filter = ("outcome", "is_signature_valid", "provider")
    search_fields = ("provider_order_id", "provider_transaction_id", "body_sha256")
