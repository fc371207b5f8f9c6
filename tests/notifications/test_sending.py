"""Sending: once per notification, retried with backoff, quiet hours, after commit."""

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.utils import timezone

from notifications.constants import NotificationChannel, NotificationStatus
from notifications.models import Notification
from notifications.services.events import notifications_scan_events
from notifications.services.schedule import quiet_hours_end, retry_delay
from notifications.services.sending import notifications_send_due

from .conftest import accept, make_case, notifications, scan, sms_sent

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# A port nothing listens on: the SMS gateway and the SMTP server are unreachable.
CLOSED_PORT_URL = "http://127.0.0.1:9/send"


def test_sender_run_twice_sends_once(owner, item):
    accept(make_case(owner, item))
    scan()
    assert notifications_send_due() == 1
    assert notifications_send_due() == 0
    assert len(sms_sent()) == 1
    sms = Notification.objects.get()
    assert sms.status == NotificationStatus.SENT and sms.attempts == 1 and sms.sent_at


def test_a_failed_sms_is_retried_later_then_given_up(owner, item, settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_ENDPOINT = CLOSED_PORT_URL
    settings.SMS_HTTP_TIMEOUT = 1.0
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    accept(make_case(owner, item))
    scan()
    now = timezone.now()
    assert notifications_send_due(now=now) == 0
    sms = Notification.objects.get()
    assert sms.status == NotificationStatus.PENDING and sms.attempts == 1
    assert sms.next_attempt_at == now + dt.timedelta(seconds=60)
    assert "SmsUnavailableError" in sms.last_error
    # Not due yet: nothing is tried.
    assert notifications_send_due(now=now + dt.timedelta(seconds=30)) == 0
    assert Notification.objects.get().attempts == 1
    later = now + dt.timedelta(seconds=61)
    notifications_send_due(now=later)
    sms.refresh_from_db()
    assert sms.attempts == 2 and sms.next_attempt_at == later + dt.timedelta(seconds=120)
    notifications_send_due(now=later + dt.timedelta(seconds=121))
    sms.refresh_from_db()
    assert sms.status == NotificationStatus.FAILED and sms.attempts == 3
    assert notifications_send_due(now=later + dt.timedelta(days=1)) == 0
    assert Notification.objects.get().attempts == 3


def test_a_failed_sms_goes_once_the_gateway_is_back(owner, item, settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_ENDPOINT = CLOSED_PORT_URL
    settings.SMS_HTTP_TIMEOUT = 1.0
    accept(make_case(owner, item))
    scan()
    now = timezone.now()
    notifications_send_due(now=now)
    settings.SMS_BACKEND = "console"
    assert notifications_send_due(now=now + dt.timedelta(minutes=2)) == 1
    sms = Notification.objects.get()
    assert sms.status == NotificationStatus.SENT and sms.attempts == 2 and sms.last_error == ""
    assert len(sms_sent()) == 1


def test_a_failed_email_through_smtp_is_retried(email_owner, item, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    accept(make_case(email_owner, item))
    scan()
    notifications_send_due()
    email = Notification.objects.get(channel=NotificationChannel.EMAIL)
    assert email.status == NotificationStatus.PENDING and email.attempts == 1
    assert email.last_error  # the refused connection, as smtplib reports it
    assert Notification.objects.get(channel=NotificationChannel.SMS).status == "sent"


def test_backoff_doubles_up_to_the_maximum(settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    settings.NOTIFICATIONS_RETRY_MAX_SECONDS = 300
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [60, 120, 240, 300, 300]


def test_quiet_hours_bounds(settings):
    settings.NOTIFICATIONS_QUIET_HOURS_START = "21:00"
    settings.NOTIFICATIONS_QUIET_HOURS_END = "08:00"
    evening = dt.datetime(2026, 3, 2, 22, 30, tzinfo=SHANGHAI)
    early = dt.datetime(2026, 3, 3, 7, 0, tzinfo=SHANGHAI)
    noon = dt.datetime(2026, 3, 3, 12, 0, tzinfo=SHANGHAI)
    morning = dt.datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    assert quiet_hours_end(evening) == morning
    assert quiet_hours_end(early) == morning
    assert quiet_hours_end(noon) is None
    assert quiet_hours_end(morning) is None


def test_quiet_hours_hold_an_sms_not_an_email(email_owner, item, settings):
    settings.NOTIFICATIONS_QUIET_HOURS_START = "21:00"
    settings.NOTIFICATIONS_QUIET_HOURS_END = "08:00"
    accept(make_case(email_owner, item))
    # The scan runs at 22:30 (a day after the event, far ahead of the test's clock).
    evening = dt.datetime(2099, 3, 2, 22, 30, tzinfo=SHANGHAI)
    morning = dt.datetime(2099, 3, 3, 8, 0, tzinfo=SHANGHAI)
    notifications_scan_events(now=evening)
    sms = Notification.objects.get(channel=NotificationChannel.SMS)
    assert sms.next_attempt_at == morning
    assert notifications_send_due(now=evening) == 1  # the e-mail
    assert len(mail.outbox) == 1 and sms_sent() == []
    assert notifications_send_due(now=evening.replace(hour=23, minute=59)) == 0
    assert notifications_send_due(now=morning) == 1
    assert len(sms_sent()) == 1


def test_an_sms_due_inside_quiet_hours_waits_without_losing_an_attempt(owner, item, settings):
    accept(make_case(owner, item))
    scan()
    settings.NOTIFICATIONS_QUIET_HOURS_START = "21:00"
    settings.NOTIFICATIONS_QUIET_HOURS_END = "08:00"
    night = dt.datetime(2099, 3, 2, 23, 0, tzinfo=SHANGHAI)
    assert notifications_send_due(now=night) == 0
    sms = Notification.objects.get()
    assert sms.status == NotificationStatus.PENDING and sms.attempts == 0
    assert sms.next_attempt_at == dt.datetime(2099, 3, 3, 8, 0, tzinfo=SHANGHAI)
    assert sms_sent() == []


def test_nothing_is_sent_before_the_scan_commits(owner, item, django_capture_on_commit_callbacks):
    accept(make_case(owner, item))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scan()
        assert sms_sent() == []  # inside the scan's transaction nothing went out
    assert callbacks  # the outbox publishes the send job after commit
    for callback in callbacks:
        callback()
    assert len(sms_sent()) == 1
    assert notifications(status=NotificationStatus.SENT)
