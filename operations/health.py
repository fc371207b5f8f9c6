"""``/health/`` (django-health-check): database, cache, broker, media storage, workers.

django-health-check's own checks cover the database (``SELECT 1`` on a connection of its
own), the cache (a key written and read back), the media storage (a file saved, read and
deleted) and, in full mode, the Redis broker (a ``PING``). Two are ours:

* ``Broker`` in the embedded mode: tasks run in-process (``memory://``), so there is
  no broker to reach; it says so and passes.
* ``WorkerHeartbeat``: beat sends the heartbeat task to every queue of
  ``HEALTH_WORKER_QUEUES`` (``celery`` and ``documents``); a queue whose last heartbeat is
  older than ``HEALTH_WORKER_MAX_SILENCE_SECONDS`` has no worker consuming it (or beat is
  down, or the queue is that far behind). One indexed read, no broadcast to the workers;
  in the embedded mode no worker process exists and none is needed: it passes.

The answer is 200 when every check passes, 500 otherwise; JSON with
``Accept: application/json`` or ``?format=json`` (``{"<check>": "OK" | "<error>"}``),
plain text, OpenMetrics and a page otherwise, as the library renders them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Generator

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from .selectors import worker_heartbeats


def is_embedded() -> bool:
    """No broker and no worker processes: tasks run in-process (no ``REDIS_URL``)."""
    return settings.CELERY_BROKER_URL.startswith("memory://")


@dataclasses.dataclass
class Broker(HealthCheck):
    """The embedded mode's in-memory broker: nothing to reach, reported as such."""

    transport: str = "memory"

    def run(self) -> None:
        return None


@dataclasses.dataclass
class WorkerHeartbeat(HealthCheck):
    """Every queue of ``queues`` had a worker run its heartbeat within ``max_silence``."""

    queues: tuple[str, ...] = ()
    embedded: bool = False
    max_silence: dt.timedelta = dataclasses.field(default=dt.timedelta(seconds=300), repr=False)

    async def run(self) -> None:
        if self.embedded:
            return
        seen = await worker_heartbeats(queues=self.queues)
        now = timezone.now()
        silent = [
            queue
            for queue in self.queues
            if queue not in seen or now - seen[queue] > self.max_silence
        ]
        if silent:
            raise ServiceUnavailable(
                _("队列 %(queues)s 超过 %(seconds)d 秒没有工作进程心跳")
                % {
                    "queues": ", ".join(silent),
                    "seconds": self.max_silence.total_seconds(),
                }
            )


def checks() -> Generator[HealthCheck, None, None]:
    """What ``/health/`` checks, for the mode this process runs in."""
    yield Database()
    yield Cache()
    embedded = is_embedded()
    if embedded:
        yield Broker()
    else:
        from health_check.contrib.redis import Redis
        from redis.asyncio import Redis as RedisClient

        url = settings.CELERY_BROKER_URL
        yield Redis(client_factory=lambda: RedisClient.from_url(url, socket_timeout=3))
    yield Storage()  # the media files: uploaded materials, issued certificates
    yield WorkerHeartbeat(
        queues=tuple(settings.HEALTH_WORKER_QUEUES),
        embedded=embedded,
        max_silence=dt.timedelta(seconds=settings.HEALTH_WORKER_MAX_SILENCE_SECONDS),
    )


class HealthView(HealthCheckView):
    template_name = "operations/health.html"

    def get_checks(self) -> Generator[HealthCheck, None, None]:
        return checks()
