"""The daily reminders: certificate expiry 30 days ahead, supplement deadlines, appointments."""

import datetime as dt

import pytest
from django.utils import timezone

from appointments.constants import AppointmentChannel, AppointmentState
from appointments.models import Appointment
from cases.constants import ApprovalState, CaseState, CertificateStatus
from notifications.constants import NotificationKind
from notifications.models import Notification
from notifications.services.reminders import (
    reminders_appointments_tomorrow,
    reminders_certificate_expiring,
    reminders_daily,
    reminders_supplement_deadline,
)
from notifications.services.sending import notifications_send_due
from tests.factories import ApprovalFactory, CertificateFactory, CertificateTypeFactory

from .conftest import OWNER_ID, make_case, notifications, sms_sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def food_licence_type(db):
    return CertificateTypeFactory(name="食品经营许可证")


def licence(owner, certificate_type, valid_until, **extra):
    return CertificateFactory(
        holder=owner,
        certificate_type=certificate_type,
        valid_from=valid_until - dt.timedelta(days=5 * 365),
        valid_until=valid_until,
        **extra,
    )


def test_expiry_reminder_30_days_before(owner, food_licence_type):
    today = timezone.localdate()
    due = licence(owner, food_licence_type, today + dt.timedelta(days=30), number="JY5101")
    licence(owner, food_licence_type, today + dt.timedelta(days=31), number="JY5102")
    licence(owner, food_licence_type, today + dt.timedelta(days=90), number="JY5103")
    assert reminders_certificate_expiring(today=today) == 1
    (sms,) = notifications()
    assert sms.kind == NotificationKind.CERTIFICATE_EXPIRING
    assert (
        f"您的食品经营许可证（JY5101）将于{due.valid_until.isoformat()}到期，可网上办理延续"
        in sms.body
    )
    assert "/me/certificates/" in sms.body and OWNER_ID not in sms.body
    # The same day again, and the next day (31 days became 30): no second reminder.
    assert reminders_certificate_expiring(today=today) == 0
    assert reminders_certificate_expiring(today=today + dt.timedelta(days=1)) == 1
    assert len(notifications()) == 2
    notifications_send_due()
    notifications_send_due()
    assert len(sms_sent()) == 2


def test_no_expiry_reminder_for_a_revoked_or_undated_certificate(owner, food_licence_type):
    today = timezone.localdate()
    licence(
        owner,
        food_licence_type,
        today + dt.timedelta(days=30),
        status=CertificateStatus.REVOKED,
    )
    CertificateFactory(holder=owner, certificate_type=food_licence_type, valid_until=None)
    assert reminders_certificate_expiring(today=today) == 0


def test_a_missed_day_is_caught_up(owner, food_licence_type, settings):
    today = timezone.localdate()
    licence(owner, food_licence_type, today + dt.timedelta(days=27))
    assert reminders_certificate_expiring(today=today) == 1


def test_supplement_deadline_reminder(owner, item, licence_material):
    case = make_case(owner, item, state=CaseState.SUSPENDED)
    today = timezone.localdate()
    requested = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=12), dt.time(10, 0))
    )
    ApprovalFactory(
        case=case,
        item=item,
        state=ApprovalState.SUPPLEMENT_REQUESTED,
        supplement_materials=["M_LAYOUT"],
        suspended_at=requested,
    )
    fresh_case = make_case(owner, item, state=CaseState.SUSPENDED)
    ApprovalFactory(
        case=fresh_case,
        item=item,
        state=ApprovalState.SUPPLEMENT_REQUESTED,
        supplement_materials=["M_LAYOUT"],
        suspended_at=timezone.now(),
    )
    assert reminders_supplement_deadline(today=today) == 1
    (sms,) = notifications()
    assert sms.kind == NotificationKind.SUPPLEMENT_DEADLINE and sms.case_id == case.pk
    deadline = (today + dt.timedelta(days=3)).isoformat()
    assert f"经营场所平面图）须于{deadline}前提交" in sms.body
    assert reminders_supplement_deadline(today=today) == 0
    assert reminders_supplement_deadline(today=today + dt.timedelta(days=1)) == 0


def test_appointment_reminder_the_day_before(owner, item):
    from centres.models import Queue
    from centres.services import network_demo_load

    network_demo_load()
    queue = Queue.objects.select_related("centre").order_by("id").first()
    centre = queue.centre
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    def book(day, number, state=AppointmentState.BOOKED):
        return Appointment.objects.create(
            number=number,
            centre=centre,
            queue=queue,
            day=day,
            start=dt.time(9, 30),
            end=dt.time(10, 0),
            check_in_until=timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0))),
            applicant=owner,
            id_number=owner.id_number,
            phone="13611112222",
            channel=AppointmentChannel.ONLINE,
            state=state,
        )

    book(tomorrow, "YY234567")
    book(tomorrow + dt.timedelta(days=1), "YY234568")
    book(tomorrow, "YY234569", state=AppointmentState.CANCELLED)
    assert reminders_appointments_tomorrow(today=timezone.localdate()) == 1
    (sms,) = notifications()
    assert sms.recipient == "13611112222"
    assert f"{tomorrow.isoformat()} 09:30-10:00" in sms.body and "YY234567" in sms.body
    assert centre.name in sms.body and OWNER_ID not in sms.body
    assert reminders_daily(today=timezone.localdate())[NotificationKind.APPOINTMENT_REMINDER] == 0
    assert Notification.objects.count() == 1
