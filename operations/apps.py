from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Running OneWindow: backups and their restore, health, metrics. Reads every app's
    data but owns none of it; no app imports it."""

    name = "operations"
    verbose_name = _("运维")
