"""Two small middlewares for staff sessions: the idle timeout and the second factor.

Both wrap ``request.user`` lazily, as Django's and django-otp's middlewares do, and act
when a view first looks at the user: a page that never does (public tracking's API, say)
never has its session read on their account, so its answer stays the same — no
``Vary: Cookie``. They work in ``__call__`` only.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .policy import is_verified, second_factor_required
from .session import staff_session_is_over, staff_session_touch


def signed_out_user() -> AnonymousUser:
    """Nobody signed in, with django-otp's attributes (views may ask ``is_verified()``)."""
    user = AnonymousUser()
    user.otp_device = None  # type: ignore[attr-defined]
    user.is_verified = lambda: False  # type: ignore[attr-defined]
    return user


class StaffIdleTimeoutMiddleware:
    """Signs a staff member out after ``STAFF_IDLE_TIMEOUT_SECONDS`` without a request, or
    ``SESSION_COOKIE_AGE`` after signing in: the page then sees nobody signed in (a staff
    page asks to sign in again, with a message saying why).

    Citizens are not Django users (citizens/session.py keeps their own idle rule), so
    only staff sessions are concerned.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None:  # no authentication on this path (public tracking's fast path)
            return self.get_response(request)
        seen: list[Any] = []
        request.user = SimpleLazyObject(functools.partial(self._checked, request, user, seen))
        response = self.get_response(request)
        # Whoever the page saw (nobody looked: no session read), or who signed in during
        # this very request (login() replaced request.user): their clock goes on, or starts.
        current = request.user
        if isinstance(current, SimpleLazyObject):
            current = seen[0] if seen else None
        if current is not None and current.is_authenticated:
            staff_session_touch(request.session, now=int(time.time()))
        return response

    @staticmethod
    def _checked(request: HttpRequest, user: Any, seen: list[Any]) -> Any:
        if user.is_authenticated and staff_session_is_over(request.session, now=int(time.time())):
            request.user = user
            logout(request)
            messages.info(request, _("您长时间未操作或已超过登录有效期，请重新登录。"))
            user = request.user = signed_out_user()
        seen.append(user)
        return user


class StaffSecondFactorMiddleware:
    """Until this session passed the second factor, a staff member who must use one is
    signed in nowhere but on the sign-in pages: the admin, the window, supervision and
    the API see nobody and send to the sign-in, which sends one without an authenticator
    on to set one up."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open_paths: frozenset[str] | None = None

    def open_paths(self) -> frozenset[str]:
        """The sign-in pages, from the URLconf (read once, at the first request: the
        URLconf may import this module)."""
        if self._open_paths is None:
            self._open_paths = frozenset(
                reverse(name)
                for name in (
                    "two_factor:login",
                    "two_factor:setup",
                    "two_factor:qr",
                    "admin:logout",
                    "set_language",
                )
            )
        return self._open_paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and request.path not in self.open_paths():
            request.user = SimpleLazyObject(functools.partial(self._held_back, user))
        return self.get_response(request)

    @staticmethod
    def _held_back(user: Any) -> Any:
        if user.is_authenticated and second_factor_required(user) and not is_verified(user):
            return signed_out_user()
        return user
