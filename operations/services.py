"""Writes of the operations app: the workers' heartbeats."""

from __future__ import annotations

import logging

from django.utils import timezone

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def worker_heartbeat_record(*, queue: str, hostname: str) -> WorkerHeartbeat:
    """A worker consumed ``queue``'s heartbeat: ``/health/`` sees that queue served."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        queue=queue, defaults={"hostname": hostname[:255], "seen_at": timezone.now()}
    )
    logger.debug("heartbeat of queue %s from %s", queue, hostname)
    return heartbeat
