from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task of a queue.

    Beat publishes ``operations.heartbeat`` to every queue of ``HEALTH_WORKER_QUEUES``
    each ``HEALTH_WORKER_HEARTBEAT_SECONDS``; whichever worker consumes it writes this
    row. ``/health/`` calls a queue silent when its row is older than
    ``HEALTH_WORKER_MAX_SILENCE_SECONDS``: then no worker consumes that queue (or beat is
    down, or the queue is that far behind). One row per queue, overwritten.
    """

    queue = models.CharField(_("队列"), max_length=100, primary_key=True)
    hostname = models.CharField(_("工作进程"), max_length=255, blank=True)
    seen_at = models.DateTimeField(_("最近心跳时间"))

    class Meta:
        verbose_name = _("工作进程心跳")
        verbose_name_plural = _("工作进程心跳")

    def __str__(self) -> str:
        return f"{self.queue} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
