from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("办件")

    def ready(self) -> None:
        """Wiring: the outbox's handlers of this app, and how jobs and courier orders
        reach Celery (the task side registers its senders: services never import tasks)."""
        from . import tasks
        from .services.checks import approval_run_checks
        from .services.delivery.booking import booking_publisher_register
        from .services.dispatch import case_dispatch_job
        from .services.jobs import (
            job_handler_register,
            job_publisher_register,
            job_queue_counter_register,
        )

        job_handler_register(kind="dispatch_case", function=case_dispatch_job)
        job_handler_register(kind="start_approval", function=approval_run_checks, continuable=True)
        job_publisher_register(tasks.run_job_publish)
        job_queue_counter_register(tasks.queued_messages)
        booking_publisher_register(tasks.book_delivery_publish)
