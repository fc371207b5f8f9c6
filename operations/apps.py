from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Running OneWindow: backups and their restore, health, metrics, the request id in
    the logs. Reads every app's data but owns none of it; no app imports it."""

    name = "operations"
    verbose_name = _("运维")

    def ready(self) -> None:
        from celery import signals
        from django.core.signals import request_finished

        from . import request_id

        request_finished.connect(
            request_id.request_finished_clear_request_id, dispatch_uid="operations.request_id"
        )

        # The request id follows a request into the tasks it publishes (request_id.py).
        signals.before_task_publish.connect(
            request_id.task_publish_add_request_id, dispatch_uid="operations.request_id.publish"
        )
        signals.task_prerun.connect(
            request_id.task_started_set_request_id, dispatch_uid="operations.request_id.prerun"
        )
        signals.task_postrun.connect(
            request_id.task_finished_reset_request_id, dispatch_uid="operations.request_id.postrun"
        )
        # Workers and beat log through Django's LOGGING (JSON in production, with the
        # request and task ids) instead of Celery replacing the root logger's handlers.
        signals.setup_logging.connect(
            request_id.celery_keeps_django_logging, dispatch_uid="operations.logging"
        )
