"""Staff signed in as the real sign-in leaves them, for tests that are about something else.

``sign_in(client, user)`` is ``client.force_login(user)`` plus, for a user the rule asks a
second factor of (reviewers, supervisors, superusers...), an authenticator device and the
session marked verified through django-otp's own ``django_otp.login`` — what the code
step of the sign-in does — and the session's idle clock started, as the sign-in does. The form helpers drive the real sign-in pages.
"""

from __future__ import annotations

import time
from typing import Any

import django_otp
from django.http import HttpRequest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.policy import second_factor_required
from accounts.session import staff_session_touch


def totp_device(user: Any) -> TOTPDevice:
    """The user's authenticator (created, confirmed, on first use)."""
    device = TOTPDevice.objects.filter(user=user, name="default").first()
    return device or TOTPDevice.objects.create(user=user, name="default", confirmed=True)


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """What the authenticator app shows now (or ``steps_ahead`` 30-second steps later: a
    code is accepted once, and one step of clock drift either way)."""
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + steps_ahead,
    )
    return f"{value:0{device.digits}d}"


def sign_in(client: Any, user: Any) -> Any:
    """Signs ``user`` in on ``client`` (a Django or DRF test client), verified where the
    rule asks for the second factor, the session's clock started as the sign-in request
    starts it; returns the client."""
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    if second_factor_required(user):
        django_otp.login(request, totp_device(user))
    staff_session_touch(request.session, now=int(time.time()))
    request.session.save()
    return client


# --- the real sign-in pages ------------------------------------------------------------

LOGIN_STEP_FIELD = "login_view-current_step"


def login_url(next_url: str = "/admin/") -> str:
    return f"{reverse('two_factor:login')}?next={next_url}"


def post_password(
    client: Any, username: str, password: str, *, next_url: str = "/admin/", **extra: Any
) -> Any:
    return client.post(
        login_url(next_url),
        {LOGIN_STEP_FIELD: "auth", "auth-username": username, "auth-password": password},
        **extra,
    )


def post_code(client: Any, code: str, *, next_url: str = "/admin/") -> Any:
    return client.post(login_url(next_url), {LOGIN_STEP_FIELD: "token", "token-otp_token": code})


def post_recovery_code(client: Any, code: str, *, next_url: str = "/admin/") -> Any:
    client.post(login_url(next_url), {"wizard_goto_step": "backup"})
    return client.post(login_url(next_url), {LOGIN_STEP_FIELD: "backup", "backup-otp_token": code})
