from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..constants import DeliveryStatus
from .cases import Case


class Delivery(models.Model):
    """The result sent by courier instead of a second trip."""

    case = models.ForeignKey(
        Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="deliveries"
    )
    courier = models.CharField(_("快递公司"), max_length=50)
    waybill = models.CharField(_("运单号"), max_length=40)
    recipient = models.CharField(_("收件人"), max_length=100)
    phone = models.CharField(_("收件电话"), max_length=20)
    province = models.CharField(_("省"), max_length=50, blank=True)
    city = models.CharField(_("市"), max_length=50, blank=True)
    district = models.CharField(_("区县"), max_length=50, blank=True)
    street_address = models.CharField(_("详细地址"), max_length=300)
    postal_code = models.CharField(_("邮编"), max_length=6, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.CREATED
    )
    signed_by = models.CharField(_("签收人"), max_length=100, blank=True)
    delivered_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    history = models.JSONField(_("物流记录"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

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
        ]

    def __str__(self) -> str:
        return f"{self.courier} {self.waybill}"
