"""The staff sign-in pages: django-two-factor-auth's views, in the project's words.

Password, then (for whoever has an authenticator) the current code or a recovery code;
setting up an authenticator; the recovery codes, shown once when they are made.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from django_otp.decorators import otp_required
from two_factor.utils import get_otpauth_url
from two_factor.views import core

from .policy import is_verified, second_factor_is_set_up, second_factor_required
from .services import recovery_codes_issue, recovery_codes_left

# django-otp's messages for a wrong or refused code, in Chinese (its own are English).
OTP_ERROR_MESSAGES = {
    "token_required": gettext_lazy("请输入验证码。"),
    "invalid_token": gettext_lazy("验证码不正确或已使用过，请重新输入。"),
    "n_failed_attempts": gettext_lazy("验证码已连续错误 %(failure_count)d 次，请稍等片刻再试。"),
    "verification_not_allowed": gettext_lazy("暂时不能验证，请稍后再试。"),
    "device_required": gettext_lazy("请选择验证方式。"),
}


class LoginView(core.LoginView):
    """Password first (django-axes counts the failures), then the second factor for an
    account that has an authenticator; one that must use a second factor and has none
    goes on to set it up, right after the password."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _must_set_up(request.user):
            return _to_setup(self.get_success_url())
        return super().get(request, *args, **kwargs)

    def done(self, form_list: Any, **kwargs: Any) -> HttpResponse:
        response = super().done(form_list, **kwargs)
        if _must_set_up(self.request.user):
            return _to_setup(self.get_success_url())
        return response

    def get_form(self, step: str | None = None, **kwargs: Any) -> Any:
        timed_out, self.show_timeout_error = self.show_timeout_error, False
        form = super().get_form(step=step, **kwargs)
        current = step or self.steps.current
        if "otp_token" in form.fields:
            form.fields["otp_token"].label = (
                _("恢复码") if current == self.BACKUP_STEP else _("动态验证码")
            )
            form.otp_error_messages = {**form.otp_error_messages, **OTP_ERROR_MESSAGES}
        if timed_out:
            form.cleaned_data = getattr(form, "cleaned_data", {})
            form.add_error(None, ValidationError(_("登录已超时，请重新输入用户名和密码。")))
        return form


def _must_set_up(user: Any) -> bool:
    return (
        user.is_authenticated
        and second_factor_required(user)
        and not is_verified(user)
        and not second_factor_is_set_up(user)
    )


def _to_setup(next_url: str) -> HttpResponse:
    query = QueryDict(mutable=True)
    query["next"] = next_url
    return redirect(f"{reverse('two_factor:setup')}?{query.urlencode(safe='/')}")


class SetupView(core.SetupView):
    """Setting up an authenticator app; at the end the recovery codes, shown this once."""

    def get_form(self, step: str | None = None, **kwargs: Any) -> Any:
        form = super().get_form(step=step, **kwargs)
        if "token" in form.fields:
            form.fields["token"].label = _("动态验证码")
            form.error_messages = {
                "invalid_token": _("验证码不正确，请核对验证器应用显示的 6 位数字后重新输入。")
            }
        return form

    def get_context_data(self, form: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form, **kwargs)
        if "secret_key" in context:
            # The app shows the site's name, not the host it was set up on.
            context["issuer"] = settings.OTP_TOTP_ISSUER
            context["otpauth_url"] = get_otpauth_url(
                self.request.user.get_username(), context["secret_key"], settings.OTP_TOTP_ISSUER
            )
        return context

    def done(self, form_list: Any, **kwargs: Any) -> HttpResponse:
        next_url = self.get_redirect_url() or resolve_url(settings.LOGIN_REDIRECT_URL)
        super().done(form_list, **kwargs)  # saves the device, marks this session verified
        codes = recovery_codes_issue(user=self.request.user)
        return render(
            self.request, "accounts/setup_complete.html", {"codes": codes, "next_url": next_url}
        )


class QRGeneratorView(core.QRGeneratorView):
    def get_issuer(self) -> str:
        return settings.OTP_TOTP_ISSUER


@method_decorator([never_cache, login_required], name="dispatch")
class SetupCompleteView(TemplateView):
    template_name = "accounts/setup_complete.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "next_url": resolve_url(settings.LOGIN_REDIRECT_URL),
        }


@method_decorator([never_cache, otp_required], name="dispatch")
class RecoveryCodesView(View):
    """How many recovery codes are left; a new set (the old one void) shown this once."""

    template_name = "accounts/recovery_codes.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, self.template_name, {"codes_left": recovery_codes_left(user=request.user)}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        codes = recovery_codes_issue(user=request.user)
        return render(request, self.template_name, {"codes": codes, "codes_left": len(codes)})
