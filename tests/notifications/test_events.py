"""Each case event that concerns the applicant becomes its notification, with the right text."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from cases.constants import ApprovalState, CaseState, EventKind
from cases.models import CaseEvent
from cases.services.intake.notices import case_request_materials
from cases.services.review import approval_reject, approval_request_supplement
from cases.services.transitions import run_transition
from notifications.constants import NotificationChannel, NotificationKind, NotificationStatus
from notifications.models import Notification, NotificationCursor, NotificationPreference
from notifications.services.sending import notifications_send_due
from tests.factories import ApprovalFactory, CertificateFactory, CertificateTypeFactory

from .conftest import OWNER_ID, OWNER_PHONE, accept, make_case, notifications, scan, sms_sent

pytestmark = pytest.mark.django_db


def test_accepted_tells_tracking_number_and_url(owner, item):
    case = accept(make_case(owner, item))
    assert scan() == 1
    (sms,) = notifications()
    assert sms.kind == NotificationKind.CASE_ACCEPTED
    assert sms.channel == NotificationChannel.SMS and sms.recipient == OWNER_PHONE
    assert case.tracking_no in sms.body
    assert f"http://127.0.0.1:8000/track/{case.tracking_no}/" in sms.body
    assert "食品经营许可" in sms.body and "已受理" in sms.body
    assert "王*明" in sms.body and "王小明" not in sms.body and OWNER_ID not in sms.body


def test_materials_missing_lists_every_material(owner, item, licence_material):
    case = make_case(owner, item)
    case_request_materials(case=case, missing=["M_LAYOUT", "M_ID"])
    scan()
    (sms,) = notifications(kind=NotificationKind.MATERIALS_MISSING)
    assert "经营场所平面图、M_ID" in sms.body
    assert case.tracking_no in sms.body


def test_supplement_requested_says_what_and_by_when(owner, item, licence_material):
    case = make_case(owner, item, state=CaseState.IN_REVIEW)
    approval = ApprovalFactory(case=case, item=item, state=ApprovalState.IN_REVIEW)
    approval_request_supplement(
        approval=approval, actor=None, materials=["M_LAYOUT"], note="平面图未标明灶台位置"
    )
    scan()
    (sms,) = notifications(kind=NotificationKind.SUPPLEMENT_REQUESTED)
    deadline = timezone.localdate() + dt.timedelta(days=15)
    assert "经营场所平面图" in sms.body and "食品经营许可" in sms.body
    assert f"请于{deadline.isoformat()}前" in sms.body


def test_denied_gives_the_reasons(owner, item):
    case = make_case(owner, item, state=CaseState.IN_REVIEW)
    approval = ApprovalFactory(case=case, item=item, state=ApprovalState.IN_REVIEW)
    approval_reject(approval=approval, actor=None, note="经营场所不符合食品安全要求")
    scan()
    (sms,) = notifications(kind=NotificationKind.CASE_DENIED)
    assert "不予许可" in sms.body
    assert "食品经营许可：经营场所不符合食品安全要求" in sms.body


def test_approved(owner, item):
    case = make_case(owner, item, state=CaseState.IN_REVIEW)
    run_transition(case, "conclude", actor=None, actor_label="system", approved=True)
    scan()
    (sms,) = notifications(kind=NotificationKind.CASE_APPROVED)
    assert "已准予许可" in sms.body and case.tracking_no in sms.body


def test_certificate_issued_names_the_certificate(owner, item):
    case = make_case(owner, item, state=CaseState.APPROVED)
    certificate_type = CertificateTypeFactory(name="食品经营许可证")
    CertificateFactory(case=case, holder=owner, certificate_type=certificate_type, number="JY1")
    run_transition(case, "issue", actor=None, actor_label="system")
    scan()
    (sms,) = notifications(kind=NotificationKind.CERTIFICATE_ISSUED)
    assert "食品经营许可证（JY1）" in sms.body


def test_shipped_delivered_and_rating_invitation(owner, item):
    case = make_case(owner, item, state=CaseState.ISSUED)
    parcel = {"courier": "EMS", "waybill": "EA000000001CN"}
    case = run_transition(case, "ship", actor=None, actor_label="system", event_data=parcel)
    run_transition(case, "deliver", actor=None, actor_label="courier", event_data=parcel)
    scan()
    shipped, delivered, rating = notifications()
    assert shipped.kind == NotificationKind.PARCEL_SHIPPED
    assert "中国邮政EMS寄出，运单号EA000000001CN" in shipped.body
    assert delivered.kind == NotificationKind.PARCEL_DELIVERED and "已签收" in delivered.body
    assert rating.kind == NotificationKind.RATING_INVITATION
    assert f"/me/cases/{case.tracking_no}/" in rating.body


def test_inner_steps_tell_nothing(owner, item):
    case = make_case(owner, item, state=CaseState.ACCEPTED)
    run_transition(case, "dispatch", actor=None, actor_label="system")
    CaseEvent.objects.create(case=case, kind=EventKind.NOTE, name="material_upload", note="x")
    assert scan() == 0
    assert NotificationCursor.objects.get().position == CaseEvent.objects.latest("id").pk


def test_email_too_when_switched_on(email_owner, item, django_capture_on_commit_callbacks):
    case = accept(make_case(email_owner, item))
    with django_capture_on_commit_callbacks(execute=True):
        scan()
    email = Notification.objects.get(channel=NotificationChannel.EMAIL)
    assert email.status == NotificationStatus.SENT  # sent by the outbox job after commit
    (message,) = mail.outbox
    assert message.to == ["xiaoming@example.cn"]
    assert message.subject == f"您的办件已受理 {case.tracking_no}"
    assert case.tracking_no in message.body and OWNER_ID not in message.body


def test_preferences_switch_sms_off(owner, item):
    NotificationPreference.objects.create(
        applicant=owner, sms_enabled=False, email_enabled=True, email="a@example.cn"
    )
    accept(make_case(owner, item))
    scan()
    assert [n.channel for n in notifications()] == [NotificationChannel.EMAIL]
    notifications_send_due()
    assert sms_sent() == [] and len(mail.outbox) == 1


def test_no_phone_no_sms(item):
    from tests.factories import ApplicantFactory

    applicant = ApplicantFactory(phone="")
    accept(make_case(applicant, item))
    scan()
    assert notifications() == []


def test_scan_twice_notifies_once_and_sends_once(owner, item):
    accept(make_case(owner, item))
    assert scan() == 1
    assert scan() == 0
    # Even with the cursor wound back (a scan whose commit was lost), nothing is doubled.
    NotificationCursor.objects.update(position=0)
    assert scan() == 0
    assert notifications_send_due() == 1
    assert notifications_send_due() == 0
    assert len(sms_sent()) == 1
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_unsettled_events_wait_for_the_next_scan(owner, item, settings):
    settings.NOTIFICATIONS_EVENT_SETTLE_SECONDS = 60
    accept(make_case(owner, item))
    assert scan() == 0
    assert NotificationCursor.objects.get().position == 0
    settings.NOTIFICATIONS_EVENT_SETTLE_SECONDS = 0
    assert scan() == 1


@pytest.mark.parametrize("cases", [2, 20])
def test_batches_read_a_fixed_number_of_queries(owner, item, django_assert_max_num_queries, cases):
    for _ in range(cases):
        accept(make_case(owner, item))
    with django_assert_max_num_queries(17):  # whatever the number of events
        assert scan() == cases
