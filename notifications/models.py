"""Notifications: one row per (event, person, channel), a scanner's cursor, and preferences.

The unique key of ``Notification`` is what makes "each event at most once per person and
channel" true whatever runs twice: the scanners insert with ``ignore_conflicts`` and the
database drops the repeat.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import NotificationChannel, NotificationKind, NotificationStatus


class NotificationCursor(models.Model):
    """How far one scanner has read (the id of the last ``CaseEvent`` it looked at).

    Moved in the same transaction as the notifications it created: a scan that fails
    leaves both unchanged, and the next scan reads the same events again."""

    name = models.CharField(_("扫描器"), max_length=50, primary_key=True)
    position = models.BigIntegerField(_("已读到"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知扫描位置")
        verbose_name_plural = _("通知扫描位置")

    def __str__(self) -> str:
        return f"{self.name}@{self.position}"


class NotificationPreference(models.Model):
    """How one applicant wants to be told. Without a row: SMS on (to the registered
    phone), e-mail off (no address is known)."""

    applicant = models.OneToOneField(
        "cases.Applicant",
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    sms_enabled = models.BooleanField(_("接收短信"), default=True)
    email_enabled = models.BooleanField(_("接收电子邮件"), default=False)
    email = models.EmailField(_("电子邮箱"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [
            models.CheckConstraint(
                condition=Q(email_enabled=False) | ~Q(email=""),
                name="notification_preference_email_needs_address",
                violation_error_message=_("接收电子邮件需要填写电子邮箱。"),
            )
        ]

    def __str__(self) -> str:
        return str(self.applicant_id)


class Notification(models.Model):
    """One message to one person by one channel, rendered when it was created."""

    event_key = models.CharField(
        _("事件键"),
        max_length=120,
        help_text=_("通知所依据的事件，如 event:123:case_accepted、expiry:45:2026-05-01。"),
    )
    applicant = models.ForeignKey(
        "cases.Applicant",
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=NotificationChannel.choices)
    kind = models.CharField(_("类别"), max_length=30, choices=NotificationKind.choices)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("办件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recipient = models.CharField(_("接收方"), max_length=254)
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    body = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次发送时间"), default=timezone.now)
    # Who holds a notification being sent, and until when: a sender that died leaves it
    # to be claimed again once the lease is over.
    claim_token = models.CharField(_("发送批次"), max_length=32, blank=True)
    claimed_until = models.DateTimeField(_("发送租约到期"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "applicant", "channel"],
                name="notification_once_per_event_person_channel",
            ),
            models.CheckConstraint(
                condition=~Q(status=NotificationStatus.SENDING) | Q(claimed_until__isnull=False),
                name="notification_sending_has_lease",
            ),
        ]
        indexes = [
            # The sender's question: what is due (or whose lease ran out).
            models.Index(
                fields=["status", "next_attempt_at"],
                name="notification_open_due",
                condition=Q(status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]),
            ),
            models.Index(fields=["applicant", "-created_at"], name="notification_applicant"),
        ]

    def __str__(self) -> str:
        return f"{self.event_key} {self.channel} ({self.status})"
