from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import UnlockChannel


class SignInUnlock(models.Model):
    """An administrator lifted a sign-in lockout (django-axes deletes the failures it
    counted, and keeps no trace of who did so): who, for which account or address, how,
    and how many counted failures went with it. Lockouts themselves are axes' access
    failure log (``locked_out``)."""

    username = models.CharField(_("账号"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("网络地址"), null=True, blank=True)
    attempts_cleared = models.PositiveIntegerField(_("清除的失败记录数"), default=0)
    channel = models.CharField(_("方式"), max_length=20, choices=UnlockChannel.choices)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    operator = models.CharField(
        _("操作人说明"),
        max_length=150,
        blank=True,
        help_text=_("后台操作时为操作人账号，管理命令时为运行命令的系统用户。"),
    )
    created_at = models.DateTimeField(_("解锁时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("登录解锁记录")
        verbose_name_plural = _("登录解锁记录")
        indexes = [models.Index(fields=["username", "created_at"], name="sign_in_unlock_username")]

    def __str__(self) -> str:
        return f"{self.username or '*'} {self.ip_address or '*'} {self.created_at:%Y-%m-%d %H:%M}"
