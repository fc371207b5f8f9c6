from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuideConfig(AppConfig):
    """The public service guide (办事指南): the catalogue for anyone, without signing in."""

    name = "guide"
    verbose_name = _("办事指南")
    default_auto_field = "django.db.models.BigAutoField"
