from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Telling people what happened and what to do next, by SMS and e-mail.

    This app sits above ``cases``: it reads the case events and the reminders' rows,
    and nothing below imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("消息通知")

    def ready(self) -> None:
        """Wiring: the outbox job that sends what a scan created, after its commit."""
        from cases.services.jobs import job_handler_register

        from .services.sending import notifications_send_job

        job_handler_register(kind="notifications_send", function=notifications_send_job)
