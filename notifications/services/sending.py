"""Sending: claim what is due, hand it to the provider, record how it went.

Notifications are created by the scanners and committed before any sender sees them:
a scan enqueues the outbox job ``notifications_send`` in its own transaction, and the
outbox publishes it only after commit; a periodic sender picks up retries and SMS held
back by the quiet hours.

A claim is one short transaction: the due rows are picked (``FOR UPDATE SKIP LOCKED``
on PostgreSQL, so concurrent senders take different rows instead of waiting), then
marked ``sending`` under a random claim token with one conditional UPDATE that only
matches rows still due — on SQLite, whose ``IMMEDIATE`` transactions serialise writers,
that condition alone decides. The provider is called outside any transaction; the
result is written only where the token still matches. A sender that dies between the
provider and the write leaves the row ``sending`` until its lease ends, and it is then
sent again: at least once at the provider, never twice by two live senders.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from cases.services.jobs import job_enqueue
from citizens.sms import SmsUnavailableError, sms_backend

from ..constants import NotificationChannel, NotificationStatus
from ..models import Notification
from .schedule import quiet_hours_end, retry_delay, sms_not_before

logger = logging.getLogger(__name__)

ERROR_MAX_LENGTH = 300
# Failures of a provider, as its own interface names them: the SMS gateway's, and the
# socket and SMTP errors of Django's e-mail backends (smtplib's are OSErrors).
SEND_ERRORS = (SmsUnavailableError, OSError)


def notifications_store(*, rows: list[Notification], job_key: str) -> int:
    """Insert the notifications that are new (a repeat of a key is dropped by the
    database) and, if any was, have them sent after the current transaction commits.
    Returns how many rows were new."""
    if not rows:
        return 0
    before = _existing_count(rows)
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    created = _existing_count(rows) - before
    if created:
        job_enqueue(kind="notifications_send", key=job_key)
    logger.info("notifications: %s new of %s", created, len(rows))
    return created


def _existing_count(rows: list[Notification]) -> int:
    """How many of these rows' keys are stored (``bulk_create`` with ``ignore_conflicts``
    cannot say which it inserted)."""
    return Notification.objects.filter(
        event_key__in={row.event_key for row in rows},
        applicant_id__in={row.applicant_id for row in rows},
    ).count()


def _due(now: dt.datetime) -> Q:
    return Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=NotificationStatus.SENDING, claimed_until__lt=now
    )


def notifications_claim(*, now: dt.datetime, limit: int) -> tuple[str, list[Notification]]:
    """Take up to ``limit`` due notifications for this sender: (its token, the rows)."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        candidates = Notification.objects.filter(_due(now)).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not ids:
            return token, []
        Notification.objects.filter(_due(now), pk__in=ids).update(
            status=NotificationStatus.SENDING,
            claim_token=token,
            claimed_until=now + dt.timedelta(seconds=settings.NOTIFICATIONS_SEND_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    claimed = Notification.objects.filter(claim_token=token, status=NotificationStatus.SENDING)
    return token, list(claimed.order_by("id"))


def _provider_send(notification: Notification) -> None:
    if notification.channel == NotificationChannel.SMS:
        sms_backend().send(phone=notification.recipient, message=notification.body)
    else:
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient],
            fail_silently=False,
        )


def _held(token: str) -> QuerySet[Notification]:
    return Notification.objects.filter(claim_token=token, status=NotificationStatus.SENDING)


def _send_one(*, notification: Notification, token: str, now: dt.datetime) -> str:
    """Send one claimed notification and record the outcome; returns its new status."""
    held = _held(token).filter(pk=notification.pk)
    quiet_end = quiet_hours_end(now) if notification.channel == NotificationChannel.SMS else None
    if quiet_end is not None:
        # Due again during the quiet hours (a lease ran out, a retry fell into them):
        # not an attempt, it waits for the morning.
        held.update(
            status=NotificationStatus.PENDING,
            next_attempt_at=quiet_end,
            attempts=F("attempts") - 1,
            claimed_until=None,
        )
        return NotificationStatus.PENDING
    try:
        _provider_send(notification)
    except SEND_ERRORS as error:
        return _record_failure(notification=notification, held=held, error=error, now=now)
    held.update(status=NotificationStatus.SENT, sent_at=now, claimed_until=None, last_error="")
    return NotificationStatus.SENT


def _record_failure(
    *,
    notification: Notification,
    held: QuerySet[Notification],
    error: Exception,
    now: dt.datetime,
) -> str:
    message = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    if notification.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
        logger.warning("notification %s failed for good: %s", notification.pk, message)
        held.update(status=NotificationStatus.FAILED, claimed_until=None, last_error=message)
        return NotificationStatus.FAILED
    retry_at = now + retry_delay(notification.attempts)
    if notification.channel == NotificationChannel.SMS:
        retry_at = sms_not_before(retry_at)
    logger.info("notification %s failed, retry at %s: %s", notification.pk, retry_at, message)
    held.update(
        status=NotificationStatus.PENDING,
        next_attempt_at=retry_at,
        claimed_until=None,
        last_error=message,
    )
    return NotificationStatus.PENDING


def notifications_send_due(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Send every notification that is due now, batch by batch; returns how many went.

    Safe to run twice and concurrently: each row is claimed by one sender only."""
    now = now or timezone.now()
    limit = limit or settings.NOTIFICATIONS_BATCH_SIZE
    sent = 0
    while True:
        token, claimed = notifications_claim(now=now, limit=limit)
        for notification in claimed:
            status = _send_one(notification=notification, token=token, now=now)
            sent += status == NotificationStatus.SENT
        if len(claimed) < limit:
            return sent


def notifications_send_job() -> int:
    """The outbox job a scan enqueues: send what is due (its own rows among them)."""
    return notifications_send_due()
