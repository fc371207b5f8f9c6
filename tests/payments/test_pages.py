"""The fee on the citizen's and the clerk's case pages: pay online, and waive."""

from __future__ import annotations

import pytest

from cases.constants import CaseState
from payments.constants import PaymentState
from payments.models import Payment
from tests.citizens.conftest import sign_in_as
from tests.sign_in import sign_in

from .conftest import case_in_review

pytestmark = pytest.mark.django_db


def test_the_citizen_pays_online_through_the_development_gateway(
    client, department, django_capture_on_commit_callbacks
):
    case, _approvals = case_in_review(department=department)
    sign_in_as(client, case.applicant)
    page = client.get(f"/me/cases/{case.tracking_no}/").content.decode()
    assert "本件收费 120.00 元" in page and "网上缴费" in page

    response = client.post(f"/me/cases/{case.tracking_no}/pay/")
    payment = Payment.objects.get(case=case)
    assert response.status_code == 302
    assert response["Location"] == f"/payments/dev/{payment.provider_order_id}/"
    assert "应缴 120.00 元" in client.get(response["Location"]).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(response["Location"], {"action": "pay"})
    assert paid["Location"] == f"/me/cases/{case.tracking_no}/"
    payment.refresh_from_db()
    assert payment.state == PaymentState.PAID
    page = client.get(paid["Location"]).content.decode()
    assert "已缴费" in page and 'id="pay-online"' not in page


def test_cancel_on_the_gateway_page_changes_nothing(client, department):
    case, _approvals = case_in_review(department=department)
    sign_in_as(client, case.applicant)
    client.post(f"/me/cases/{case.tracking_no}/pay/")
    payment = Payment.objects.get(case=case)
    client.post(f"/payments/dev/{payment.provider_order_id}/", {"action": "cancel"})
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING


def test_another_citizen_cannot_pay_or_open_the_gateway_page(client, department):
    from tests.factories import ApplicantFactory

    case, _approvals = case_in_review(department=department)
    sign_in_as(client, case.applicant)
    client.post(f"/me/cases/{case.tracking_no}/pay/")
    order_id = Payment.objects.get(case=case).provider_order_id
    sign_in_as(client, ApplicantFactory())
    assert client.post(f"/me/cases/{case.tracking_no}/pay/").status_code == 404
    assert client.post(f"/payments/dev/{order_id}/", {"action": "pay"}).status_code == 404
    assert Payment.objects.get(case=case).state == PaymentState.PENDING


def test_the_clerk_sees_the_fee_and_waives_it_with_a_reason(
    client, clerk, department, django_capture_on_commit_callbacks
):
    case, _approvals = case_in_review(department=department)
    sign_in(client, clerk)
    page = client.get(f"/window/cases/{case.tracking_no}/").content.decode()
    assert "本件收费 120.00 元" in page and "待缴费" in page and 'id="waive-form"' in page

    refused = client.post(
        f"/window/cases/{case.tracking_no}/fee/waive/", {"reason": " "}, follow=True
    )
    assert "减免费用必须写明理由。" in refused.content.decode()
    assert Payment.objects.get(case=case).state == PaymentState.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/window/cases/{case.tracking_no}/fee/waive/", {"reason": "特困人员减免"})
    payment = Payment.objects.get(case=case)
    assert (payment.state, payment.waived_by, payment.waive_reason) == (
        PaymentState.WAIVED,
        clerk,
        "特困人员减免",
    )
    page = client.get(f"/window/cases/{case.tracking_no}/").content.decode()
    assert "特困人员减免" in page and 'id="waive-form"' not in page
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW  # its approval is still open


def test_a_free_case_page_shows_no_fee_panel(client, clerk, department):
    case, _approvals = case_in_review(department=department, fee="0")
    sign_in(client, clerk)
    assert 'id="fee-panel"' not in client.get(f"/window/cases/{case.tracking_no}/").content.decode()
    sign_in_as(client, case.applicant)
    assert 'id="fee-panel"' not in client.get(f"/me/cases/{case.tracking_no}/").content.decode()
