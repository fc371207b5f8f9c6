from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..constants import DELIVERY_ACTIVE_STATUSES, BookingStatus, CourierCompany, DeliveryStatus
from .base import AppendOnlyModel, chain_position_unique
from .cases import Case


class Delivery(models.Model):
    """The result sent by courier instead of a second trip."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="deliveries"
    )
    courier = models.CharField(_("快递公司"), max_length=50, choices=CourierCompany.choices)
    waybill = models.CharField(_("运单号"), max_length=40)
    recipient = models.CharField(_("收件人"), max_length=100)
    phone = models.CharField(_("收件电话"), max_length=20)
    province = models.CharField(_("省"), max_length=50, blank=True)
    city = models.CharField(_("市"), max_length=50, blank=True)
    district = models.CharField(_("区县"), max_length=50, blank=True)
    street = models.CharField(_("街道（乡镇）"), max_length=100, blank=True)
    street_address = models.CharField(_("详细地址"), max_length=300)
    postal_code = models.CharField(_("邮编"), max_length=6, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.CREATED
    )
    signed_by = models.CharField(_("签收人"), max_length=100, blank=True)
    delivered_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    history = models.JSONField(_("物流记录"), default=list, blank=True)
    booking_status = models.CharField(
        _("快递下单"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.PENDING
    )
    booking_attempts = models.PositiveIntegerField(_("下单尝试次数"), default=0)
    booking_error = models.CharField(_("下单错误"), max_length=300, blank=True)
    courier_reference = models.CharField(_("快递订单号"), max_length=100, blank=True)
    booked_at = models.DateTimeField(_("下单时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("寄递")
        verbose_name_plural = _("寄递")
        constraints = [
            models.UniqueConstraint(fields=["courier", "waybill"], name="delivery_unique_waybill"),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.DELIVERED)
                | (~Q(signed_by="") & Q(delivered_at__isnull=False)),
                name="delivery_delivered_has_signer",
            ),
            # A case has at most one parcel on its way; a failed one may be followed by another.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=DELIVERY_ACTIVE_STATUSES),
                name="delivery_one_active_per_case",
            ),
        ]
        indexes = [
            models.Index(fields=["booking_status", "created_at"], name="delivery_booking"),
        ]

    def __str__(self) -> str:
        return f"{self.courier} {self.waybill}"

    @property
    def address_display(self) -> str:
        return "".join(
            part
            for part in (
                self.province,
                self.city,
                self.district,
                self.street,
                self.street_address,
            )
            if part
        )


class CourierEvent(AppendOnlyModel):
    """One status message from a courier company's webhook, kept as received.

    The unique (courier, event id) pair makes a repeated message harmless: it is
    recognised and changes nothing.
    """

    courier = models.CharField(_("快递公司"), max_length=50, choices=CourierCompany.choices)
    event_id = models.CharField(_("事件编号"), max_length=100)
    delivery = models.ForeignKey(
        Delivery, verbose_name=_("寄递"), on_delete=models.PROTECT, related_name="courier_events"
    )
    status = models.CharField(_("状态"), max_length=20, choices=DeliveryStatus.choices)
    occurred_at = models.DateTimeField(_("发生时间"))
    body_sha256 = models.CharField(_("报文SHA-256"), max_length=64)
    payload = models.JSONField(_("报文"), default=dict)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = _("快递回调")
        verbose_name_plural = _("快递回调")
        constraints = [
            models.UniqueConstraint(
                fields=["courier", "event_id"], name="courier_event_unique_event"
            ),
            chain_position_unique("courier_event_chain_position"),
        ]

    def __str__(self) -> str:
        return f"{self.courier} {self.event_id} {self.status}"
