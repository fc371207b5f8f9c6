"""The choices of notifications: what they tell, by which channel, and where they stand."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    CASE_ACCEPTED = "case_accepted", _("已受理")
    MATERIALS_MISSING = "materials_missing", _("一次性告知补齐材料")
    CASE_REFUSED = "case_refused", _("不予受理")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("要求补正")
    CASE_APPROVED = "case_approved", _("准予许可")
    CASE_DENIED = "case_denied", _("不予许可")
    CERTIFICATE_ISSUED = "certificate_issued", _("证照已颁发")
    PARCEL_SHIPPED = "parcel_shipped", _("结果已寄出")
    PARCEL_DELIVERED = "parcel_delivered", _("结果已签收")
    RATING_INVITATION = "rating_invitation", _("邀请评价")
    CERTIFICATE_EXPIRING = "certificate_expiring", _("证照即将到期")
    SUPPLEMENT_DEADLINE = "supplement_deadline", _("补正期限将至")
    APPOINTMENT_REMINDER = "appointment_reminder", _("预约提醒")


class NotificationChannel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


# The scanner of the case events: the name of its cursor row.
CASE_EVENTS_CURSOR = "case_events"
