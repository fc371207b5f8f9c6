from __future__ import annotations

from celery import shared_task

from onewindow.celery import OutageRetryingTask


@shared_task(name="privacy.apply_retention", base=OutageRetryingTask, acks_late=True)
def apply_retention() -> int:
    """Nightly: delete or anonymise the personal data past its period; returns the run's
    id. Safe to run twice (what went is gone; a second run finds nothing more). A run cut
    off by the time limit keeps its committed chunks, and the next one goes on."""
    from .constants import RunTrigger
    from .services.runs import retention_apply

    return retention_apply(trigger=RunTrigger.SCHEDULE).pk
