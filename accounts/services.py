"""Staff sign-in writes: recovery codes, unlocking a locked-out sign-in, API tokens."""

from __future__ import annotations

from typing import Any

import django_otp
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from two_factor.utils import totp_digits

from .constants import RECOVERY_CODE_COUNT, UnlockChannel
from .exceptions import (
    CredentialsInvalidError,
    SecondFactorInvalidError,
    SecondFactorNotSetUpError,
    SecondFactorRequiredError,
    SignInLockedError,
)
from .lockout import lockout_message
from .models import SignInUnlock
from .policy import second_factor_is_set_up, second_factor_required

# The name django-two-factor-auth gives the recovery-code device (its "backup tokens").
RECOVERY_DEVICE_NAME = "backup"


def recovery_codes_issue(*, user: Any) -> list[str]:
    """A new set of recovery codes replaces the old one; the staff member sees the codes
    this once, and each code signs in once, in place of the authenticator's code."""
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(*, user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_check(*, user: Any, code: str) -> Device | None:
    """The device that accepts ``code`` (a current authenticator code, or an unused
    recovery code, which is then used up), or None.

    Only the devices of the code's kind are tried: a failed try counts against a device
    (django-otp then makes it wait, doubling each time), and a recovery code must not
    slow down the authenticator, nor an authenticator code the recovery codes.
    """
    code = "".join(code.split()).lower()
    if not code:
        return None
    if code.isdigit() and len(code) == totp_digits():
        devices = TOTPDevice.objects.devices_for_user(user, confirmed=True)
    else:
        devices = StaticDevice.objects.devices_for_user(user, confirmed=True)
    for device in devices:
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


def api_token_sign_in(
    *, request: HttpRequest, username: str, password: str, otp: str = ""
) -> Token:
    """A department system or a staff member's script signs in: the account's API token.

    The password goes through the same authentication, and the same lockout, as the
    sign-in page; an account that signs in with a second factor there gives a current
    code or a recovery code here too (``otp``).
    """
    user = authenticate(request, username=username, password=password)
    if user is None:
        # django-axes marks the request it refused, or the failure that locked it out.
        if getattr(request, "axes_locked_out", False):
            raise SignInLockedError(lockout_message())
        raise CredentialsInvalidError(_("用户名或密码错误。"))
    is_set_up = second_factor_is_set_up(user)
    if second_factor_required(user) or is_set_up:
        if not is_set_up:
            raise SecondFactorNotSetUpError(
                _("该账号须使用双重认证，请先在网页登录并设置动态验证码。")
            )
        if not otp:
            raise SecondFactorRequiredError(_("该账号须提供动态验证码或恢复码（otp）。"))
        if second_factor_check(user=user, code=otp) is None:
            raise SecondFactorInvalidError(_("动态验证码或恢复码不正确，或已使用过。"))
    token, _created = Token.objects.get_or_create(user=user)
    return token


def sign_in_unlock(
    *,
    channel: str,
    username: str | None = None,
    ip_address: str | None = None,
    actor: Any = None,
    operator: str = "",
) -> SignInUnlock:
    """An administrator lifts the lockout of an account, of an address, of that account at
    that address, or (neither given) every lockout: sign-in works again at once, and the
    unlock is recorded."""
    with transaction.atomic():
        cleared = axes_reset(ip=ip_address or None, username=username or None)
        return SignInUnlock.objects.create(
            username=username or "",
            ip_address=ip_address or None,
            attempts_cleared=cleared,
            channel=channel,
            unlocked_by=actor,
            operator=operator or (actor.get_username() if actor is not None else ""),
        )


def sign_in_attempts_unlock(*, attempts: QuerySet[AccessAttempt], actor: Any) -> list[SignInUnlock]:
    """An administrator deletes counted failures in the admin (axes' way to unlock): each
    deleted row is recorded as an unlock of its account at its address."""
    with transaction.atomic():
        rows = list(attempts.select_for_update())
        unlocks = [
            SignInUnlock(
                username=row.username or "",
                ip_address=row.ip_address,
                attempts_cleared=1,
                channel=UnlockChannel.ADMIN,
                unlocked_by=actor,
                operator=actor.get_username(),
            )
            for row in rows
        ]
        AccessAttempt.objects.filter(pk__in=[row.pk for row in rows]).delete()
        return SignInUnlock.objects.bulk_create(unlocks)
