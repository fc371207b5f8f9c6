from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizensConfig(AppConfig):
    """Citizens and companies: public tracking, the personal space /me/, rating."""

    name = "citizens"
    verbose_name = _("群众与企业")
    default_auto_field = "django.db.models.BigAutoField"
