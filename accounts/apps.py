from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Staff sign-in: the second factor, lockout after repeated failures, API tokens,
    session lifetime and idle timeout."""

    name = "accounts"
    verbose_name = _("工作人员登录")
    default_auto_field = "django.db.models.BigAutoField"
