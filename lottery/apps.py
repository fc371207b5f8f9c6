from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LotteryConfig(AppConfig):
    name = "lottery"
    verbose_name = _("指标摇号")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Wiring: the outbox runs a round's verification chunks and publishes its pool."""
        from cases.services.jobs import job_handler_register

        from .services.rounds import pool_publish
        from .services.verification import CHUNK_JOB, POOL_JOB, chunk_verify

        job_handler_register(kind=CHUNK_JOB, function=chunk_verify)
        job_handler_register(kind=POOL_JOB, function=pool_publish)
