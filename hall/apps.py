from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HallConfig(AppConfig):
    name = "hall"
    verbose_name = _("排队叫号")
    default_auto_field = "django.db.models.BigAutoField"
