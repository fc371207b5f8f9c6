"""What django-axes asks of the project: the client's address, and the locked-out answer.

Failures are counted per account and per client address (``AXES_LOCKOUT_PARAMETERS``);
after ``AXES_FAILURE_LIMIT`` of them within ``AXES_COOLOFF_TIME`` every sign-in of that
account, or from that address, is refused, the right password too, until the cool-off
has passed or an administrator unlocks it (``services.sign_in_unlock``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from onewindow.client_address import client_address

from .paths import is_api_path


def client_ip(request: HttpRequest) -> str | None:
    """The address failures are counted for: the project's trusted-address rule (the peer,
    or what our own proxies say), never a header the client chose."""
    return client_address(request) or None


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    return _(
        "登录失败次数过多，该账号或您所在的网络地址已被暂时锁定。"
        "请 %(minutes)d 分钟后再试，或联系系统管理员解除锁定。"
    ) % {"minutes": cooloff_minutes()}


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The answer to a locked-out sign-in: a page, or JSON for the API; 429 either way."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    if is_api_path(request.path):
        return JsonResponse({"detail": lockout_message(), "code": "locked_out"}, status=status)
    return render(
        request,
        "accounts/locked_out.html",
        {"message": lockout_message(), "minutes": cooloff_minutes()},
        status=status,
    )
