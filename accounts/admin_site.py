"""The admin site, signed in to through the two-factor sign-in.

``admin.site`` stays the one site every ModelAdmin registers with; it is this class
(``accounts.admin_config.StaffAdminConfig``, listed in ``INSTALLED_APPS`` in place of
``django.contrib.admin``). Unlike django-two-factor-auth's ``AdminSiteOTPRequired``,
which asks every admin user for a second factor, it asks exactly those that the rule
(``policy.second_factor_required``) names: clerks work in the admin too, and need the
second factor only when ``STAFF_2FA_CLERKS`` is on.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .policy import second_factor_satisfied


class StaffAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and second_factor_satisfied(request.user)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """The admin's own password form would skip the second factor and the lockout
        page: it sends to the two-factor sign-in instead."""
        next_url = request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME))
        if not next_url or not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index", current_app=self.name)
        return redirect_to_login(next_url, reverse("two_factor:login"))
