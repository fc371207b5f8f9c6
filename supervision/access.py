"""Who may open the supervision pages: the supervisor role (superusers hold every role)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from departments.constants import Role
from departments.roles import has_role


def is_supervisor(user: Any) -> bool:
    return has_role(user, Role.SUPERVISOR)


def supervisor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; other staff get 403."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_supervisor(request.user):
            raise PermissionDenied(_("只有电子监察人员可以查看此页面。"))
        return view(request, *args, **kwargs)

    return wrapped
