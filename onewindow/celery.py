"""The Celery application.

Embedded mode (no ``REDIS_URL``): tasks run in-process, eagerly, after the
transaction that caused them commits. Full mode: Redis is the broker and
separate ``celery worker`` / ``celery beat`` processes run the same tasks.
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.dev")

app = Celery("onewindow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _database_connection_between_tasks(task: object = None, **kwargs: object) -> None:
    """Between tasks, the database connection is treated as Django treats it between
    requests: kept for ``CONN_MAX_AGE`` seconds, closed once an error showed it
    broken (the task that met the error fails and its job is retried). Celery's own
    Django fix-up would close it around every task (``CELERY_DB_REUSE_MAX`` in the
    settings turns that off), and a new PostgreSQL
    connection per task costs more than most of our tasks. Tasks run in-process (the
    embedded mode) share the caller's connection and leave it alone."""
    from django.db import close_old_connections

    if getattr(getattr(task, "request", None), "is_eager", False):
        return
    close_old_connections()
