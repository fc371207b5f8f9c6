"""Celery tasks of appointments: thin entry points that call a service."""

from __future__ import annotations

from celery import shared_task

from onewindow.celery import OutageRetryingTask


@shared_task(
    name="appointments.mark_no_shows",
    base=OutageRetryingTask,
    acks_late=True,
    reject_on_worker_lost=True,
)
def mark_no_shows() -> int:
    """Every few minutes: appointments whose check-in has closed without the person
    coming become no-shows. Safe to run twice: the second run finds none left."""
    from django.utils import timezone

    from .services.no_shows import appointments_mark_no_shows

    return appointments_mark_no_shows(day=timezone.localdate())
