from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizensConfig(AppConfig):
    """Citizens and companies: public tracking, the personal space /me/, rating."""

    name = "citizens"
    verbose_name = _("群众与企业")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Wiring: sign-in codes reach Celery through the sender the task module gives
        (services never import tasks)."""
        from . import tasks
        from .services.sign_in import one_time_code_sender_register

        one_time_code_sender_register(tasks.send_one_time_code_publish)
