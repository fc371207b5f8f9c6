from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo: ``manage.py load_demo`` loads every app's demo data. It sits above every
    other app (it calls their services), so that none of them imports another's demo."""

    name = "demo"
    verbose_name = _("演示数据")
    default_auto_field = "django.db.models.BigAutoField"
