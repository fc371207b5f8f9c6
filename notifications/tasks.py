"""Celery tasks of notifications: thin entry points that call a service. Each is safe to
run twice (the notifications' unique key, and claims, see the services)."""

from __future__ import annotations

from celery import shared_task

from onewindow.celery import OutageRetryingTask


@shared_task(
    name="notifications.scan_events",
    base=OutageRetryingTask,
    acks_late=True,
    reject_on_worker_lost=True,
)
def scan_events() -> int:
    """Every ~30 s: new case events become notifications (sent after commit)."""
    from .services.events import notifications_scan_events

    return notifications_scan_events()


@shared_task(
    name="notifications.send_due",
    base=OutageRetryingTask,
    acks_late=True,
    reject_on_worker_lost=True,
)
def send_due() -> int:
    """Every ~30 s: retries that are due, and SMS whose quiet hours have ended."""
    from .services.sending import notifications_send_due

    return notifications_send_due()


@shared_task(
    name="notifications.remind_daily",
    base=OutageRetryingTask,
    acks_late=True,
    reject_on_worker_lost=True,
)
def remind_daily() -> dict[str, int]:
    """Daily: certificates about to expire, supplement deadlines, appointments tomorrow."""
    from .services.reminders import reminders_daily

    return reminders_daily()
