"""The Celery application.

Embedded mode (no ``REDIS_URL``): tasks run in-process, eagerly, after the
transaction that caused them commits. Full mode: Redis is the broker and
separate ``celery worker`` / ``celery beat`` processes run the same tasks.
"""

import os
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.dev")


class DjangoCelerySettings(Mapping):
    """The ``CELERY_*`` Django settings, copied into a dict when Celery first loads its
    configuration (lazily, as ``config_from_object("django.conf:settings")`` would).

    Celery looks every setting up in its source under two names, several times for
    each task it publishes (``task_serializer``, ``task_publish_retry``...); in Django's
    lazy settings object a name that is not set costs an ``AttributeError`` each time,
    about 0.1 ms per published task in all. Celery's settings are fixed once the
    worker or the site starts, so a plain dict serves the same values."""

    @cached_property
    def _values(self) -> dict[str, Any]:
        from django.conf import settings

        return {
            name: getattr(settings, name) for name in dir(settings) if name.startswith("CELERY_")
        }

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


django_celery_settings = DjangoCelerySettings()

app = Celery("onewindow")
app.config_from_object("onewindow.celery:django_celery_settings", namespace="CELERY")
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
