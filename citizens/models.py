from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Applicant

from .constants import CodePurpose


class OneTimeCode(models.Model):
    """A six-digit sign-in code sent by SMS, stored only as a keyed hash.

    A row is written for every request, for a known ID number or not (then
    ``applicant`` is empty and nothing is sent): both answers take the same path,
    so the page never tells whether an ID number is registered.
    """

    subject_hash = models.CharField(
        _("证件号码摘要"), max_length=64, help_text=_("证件号码的 HMAC，不保存号码本身。")
    )
    applicant = models.ForeignKey(
        Applicant,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="one_time_codes",
    )
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    salt = models.CharField(_("盐"), max_length=32)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    client_ip = models.GenericIPAddressField(_("请求地址"), null=True, blank=True)
    purpose = models.CharField(
        _("用途"), max_length=20, choices=CodePurpose.choices, default=CodePurpose.SIGN_IN
    )
    # Sign-up sends the code to the number being registered (no applicant yet); a
    # sign-in code goes to the applicant's phone on file and leaves this empty.
    phone = models.CharField(_("接收手机号"), max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [
            models.Index(fields=["subject_hash", "-created_at"], name="one_time_code_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_hash[:8]} {self.created_at:%Y-%m-%d %H:%M}"


class TrackFailure(models.Model):
    """Failed public tracking lookups, for the throttle (``citizens.throttles.TRACK_FAILURES``):
    per client address (unknown number or wrong ID suffix; ``client`` is the address)
    and per case (wrong ID suffixes from anywhere; ``client`` is ``case:<tracking no>``).
    The count of the current window, which starts at the key's first failure. Kept in
    the database so that on PostgreSQL the API checks it inside its one lookup statement."""

    client = models.CharField(_("客户端地址"), max_length=255, primary_key=True)
    failures = models.PositiveIntegerField(_("失败次数"), default=0)
    window_ends = models.DateTimeField(_("计数截止时间"))

    class Meta:
        verbose_name = _("查询失败计数")
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.client}: {self.failures}"


class VerifiedPhone(models.Model):
    """A mobile number a person proved to be theirs (an SMS code) at a sign-up whose
    name and ID number the population registry confirmed: the real-name account."""

    applicant = models.OneToOneField(
        Applicant,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        related_name="verified_phone",
    )
    phone = models.CharField(_("手机号码"), max_length=20)
    verified_at = models.DateTimeField(_("核验时间"), default=timezone.now)
    # The data-access log row of the registry read that confirmed the name.
    verification = models.ForeignKey(
        "cases.Verification",
        verbose_name=_("实名核验记录"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("实名手机号")
        verbose_name_plural = _("实名手机号")

    def __str__(self) -> str:
        return f"{self.applicant_id}: {self.phone[-4:]}"


class Delegation(models.Model):
    """An organisation's legal representative lets a person act for it online until
    ``valid_until`` (inclusive) or until revoked."""

    organisation = models.ForeignKey(
        Applicant,
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="delegations_given",
    )
    delegate = models.ForeignKey(
        Applicant,
        verbose_name=_("被授权人"),
        on_delete=models.CASCADE,
        related_name="delegations_received",
    )
    granted_by = models.ForeignKey(
        Applicant,
        verbose_name=_("授权人"),
        on_delete=models.PROTECT,
        related_name="delegations_granted",
    )
    granted_at = models.DateTimeField(_("授权时间"), default=timezone.now)
    valid_until = models.DateField(_("有效期至"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        Applicant,
        verbose_name=_("撤销人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delegations_revoked",
    )

    class Meta:
        ordering = ["-granted_at", "-id"]
        verbose_name = _("办事授权")
        verbose_name_plural = _("办事授权")
        indexes = [
            models.Index(fields=["delegate", "organisation"], name="delegation_delegate_org"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} → {self.delegate_id} ({self.valid_until})"

    def is_valid_on(self, day: dt.date) -> bool:
        """Whether the delegation lets the delegate act on ``day``."""
        return self.revoked_at is None and day <= self.valid_until
