"""The Celery application.

Embedded mode (no ``REDIS_URL``): tasks run in-process, eagerly, after the
transaction that caused them commits. Full mode: Redis is the broker and
separate ``celery worker`` / ``celery beat`` processes run the same tasks.
"""

import os
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

from celery import Celery, Task, signals
from celery.utils.time import get_exponential_backoff_interval

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


def _outage_errors() -> tuple[type[BaseException], ...]:
    """The errors of a database or broker that is (for a moment) out of reach. Django wraps
    psycopg's errors in its own; psycopg's are listed for code that meets them unwrapped.
    ``OperationalError`` also covers a deadlock or a serialization failure: transient
    too, and worth another try."""
    import django.db
    import kombu.exceptions
    import redis.exceptions

    errors: list[type[BaseException]] = [
        django.db.OperationalError,
        django.db.InterfaceError,
        kombu.exceptions.OperationalError,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
    ]
    try:
        import psycopg
    except ImportError:  # the embedded mode needs no psycopg
        pass
    else:
        errors += [psycopg.OperationalError, psycopg.InterfaceError]
    return tuple(errors)


class OutageRetryingTask(Task):
    """The base of every OneWindow task: a task that meets a database or broker outage is
    sent again later, with exponential backoff and full jitter, instead of failing (before,
    a worker took ~600 messages during a 5.5 s PostgreSQL restart and dropped each as
    failed). Celery's own retry options say how (``max_retries``, ``retry_backoff``,
    ``retry_backoff_max``, ``retry_jitter``): the n-th retry waits a random 0..min(8,
    2**n) s, so once the server is back the next try comes within ~8 s, and 40 retries
    cover an outage of about three minutes. Past that, the message is dropped like any
    failed task and the outbox row stays open: the sweeper republishes it
    (cases/services/jobs.py).

    Before the retry the worker closes its database connections, so the next try opens
    a new one instead of using the one the restart broke. Why not ``autoretry_for``:
    Celery retries an eager task at once, in the caller's process, with no delay; in the
    embedded mode a task runs inside the request that published it, shares its
    connection, and a retry there would only repeat the failure (a locked SQLite file
    waits 20 s each time). So eager and direct calls raise as before, and this
    ``__call__`` (Celery's documented place to wrap a task's ``run``) retries the rest."""

    max_retries = 40
    retry_backoff = 1
    retry_backoff_max = 8
    retry_jitter = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        if request.called_directly or request.is_eager:
            return super().__call__(*args, **kwargs)
        try:
            return self.run(*args, **kwargs)
        except _outage_errors() as error:
            _close_database_connections()
            countdown = get_exponential_backoff_interval(
                factor=self.retry_backoff,
                retries=request.retries,
                maximum=self.retry_backoff_max,
                full_jitter=self.retry_jitter,
            )
            raise self.retry(exc=error, countdown=countdown) from error


def _close_database_connections() -> None:
    """Close this worker's database connections (Django opens a new one on the next
    query). Only the worker's own: eager tasks never get here."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
