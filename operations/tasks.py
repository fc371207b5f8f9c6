"""Celery tasks of the operations app (thin: each calls one service)."""

from __future__ import annotations

from celery import shared_task

from .services import worker_heartbeat_record


@shared_task(name="operations.heartbeat", bind=True, ignore_result=True)
def heartbeat(self, queue: str) -> None:
    """Published by beat to each queue (``HEALTH_WORKER_QUEUES``): proves that a worker
    consumes it. Running it twice only writes the time again."""
    worker_heartbeat_record(queue=queue, hostname=self.request.hostname or "")
