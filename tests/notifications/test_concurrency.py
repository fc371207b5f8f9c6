"""On PostgreSQL, scanners and senders running at the same time still send each
notification once: the cursor row serialises scans, the unique key drops repeats, and
``SKIP LOCKED`` claims give each row to one sender."""

from __future__ import annotations

from collections import Counter

import pytest

from cases.services.jobs import job_publisher_register
from notifications.constants import NotificationStatus
from notifications.models import Notification
from notifications.services.events import notifications_scan_events
from notifications.services.sending import notifications_send_due
from tests.concurrency import race
from tests.factories import ApplicantFactory

from .conftest import accept, make_case, sms_sent

THREADS = 6
CASES = 30


def _cases(item):  # type: ignore[no-untyped-def]
    for number in range(CASES):
        accept(make_case(ApplicantFactory(phone=f"139{number:08d}"), item))


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_and_sends_send_each_once(item, settings):
    settings.NOTIFICATIONS_BATCH_SIZE = 7  # several batches, so the scans interleave
    _cases(item)

    def scan_and_send() -> int:
        notifications_scan_events()
        return notifications_send_due()

    outcomes = race([scan_and_send for _ in range(THREADS)])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    notifications_send_due()
    assert Notification.objects.count() == CASES
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == CASES
    phones = Counter(phone for phone, _message in sms_sent())
    assert len(phones) == CASES and set(phones.values()) == {1}


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_share_the_rows(item, settings):
    settings.NOTIFICATIONS_BATCH_SIZE = 5
    _cases(item)
    # Keep the scan's send job from running in-process: only the racing senders send.
    previous = job_publisher_register(lambda job_id, queue: None)
    try:
        notifications_scan_events()
    finally:
        job_publisher_register(previous)
    outcomes = race([notifications_send_due for _ in range(THREADS)])
    assert sum(outcomes) == CASES, outcomes  # type: ignore[arg-type]
    assert len(sms_sent()) == CASES
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
