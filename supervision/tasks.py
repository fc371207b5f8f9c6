"""Periodic work of supervision. Safe to run twice: a refresh rebuilds from scratch."""

from __future__ import annotations

from celery import shared_task

from onewindow.celery import OutageRetryingTask


@shared_task(
    name="supervision.refresh_figures",
    base=OutageRetryingTask,
    acks_late=True,
    reject_on_worker_lost=True,
)
def refresh_figures() -> float:
    """Rebuild the dashboard rollups; returns how many seconds it took."""
    from .services.figures import supervision_figures_refresh

    return supervision_figures_refresh().seconds
