"""Issue 19 point 3 online: an applicant whose registry data is wrong changes the
prefilled field with a reason, as a clerk may at the window.

Without a reason the save is refused with the message at the field and the reason box
open, and nothing is written; with one the change is recorded as the applicant's
``registry_override``, the case waits for a reviewer instead of the automatic decision,
and what the registry holds stays on file for the certificate.
"""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from cases.constants import ApprovalState, CaseState
from cases.models import Approval, Case, CaseEvent
from cases.services.overrides import OVERRIDE_REASON_MAX_LENGTH
from certificates.models import Certificate
from citizens.services.apply import online_actor_label
from tests.cases.override_catalogue import (
    REASON,
    REGISTRY_NAME,
    TYPED_NAME,
    build_override_catalogue,
)
from tests.citizens.conftest import sign_in_as
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def online_case(client):
    catalogue = build_override_catalogue()
    company = OrganisationFactory(id_number=catalogue.company_id, name=REGISTRY_NAME)
    sign_in_as(client, company)
    response = client.post(
        reverse("citizens:apply"),
        {"items": catalogue.items, "idempotency_key": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    case = Case.objects.get(applicant=company)
    assert case.form_data["A003"]["company_name"] == REGISTRY_NAME
    return case


def _save(client, case, **data):
    return client.post(reverse("citizens:apply_forms", args=[case.tracking_no]), data)


def test_the_form_marks_prefilled_fields_and_offers_a_closed_reason_box(client, online_case):
    page = client.get(reverse("citizens:apply_case", args=[online_case.tracking_no]))
    fields = {
        field["input_name"]: field
        for section in page.context["form_sections"]
        for field in section["fields"]
    }
    assert fields["A003__company_name"]["is_prefilled"]
    assert not fields["A003__shop_sign"]["is_prefilled"]
    html = page.content.decode()
    assert 'name="override_reason"' in html
    assert '<details class="mt-3" id="override-reason">' in html


def test_a_changed_prefilled_field_without_a_reason_is_refused_at_its_field(client, online_case):
    events_before = online_case.events.count()
    response = _save(client, online_case, A003__company_name=TYPED_NAME, A003__shop_sign="蓉城味道")
    assert response.status_code == 400
    assert response.context["form_error"]["field"] == "A003__company_name"
    html = response.content.decode()
    assert "与共享数据登记的不一致" in html and "改动理由" in html
    # What was typed is shown again, and the reason box is open.
    assert f'value="{TYPED_NAME}"' in html
    assert '<details class="mt-3" id="override-reason" open>' in html
    online_case.refresh_from_db()
    # Neither the changed field nor the other field of the same save was written.
    assert online_case.form_data["A003"] == {"company_name": REGISTRY_NAME, "shop_sign": ""}
    assert online_case.events.count() == events_before


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        (" \u3000 ", "不能只有空格"),
        ("理" * (OVERRIDE_REASON_MAX_LENGTH + 1), str(OVERRIDE_REASON_MAX_LENGTH)),
    ],
    ids=["only-spaces", "too-long"],
)
def test_a_blank_or_overlong_reason_is_refused_at_the_reason(client, online_case, reason, message):
    response = _save(client, online_case, A003__company_name=TYPED_NAME, override_reason=reason)
    assert response.status_code == 400
    assert response.context["form_error"]["field"] == "override_reason"
    assert message in response.context["form_error"]["message"]
    online_case.refresh_from_db()
    assert online_case.form_data["A003"]["company_name"] == REGISTRY_NAME
    assert not online_case.events.filter(name="registry_override").exists()


def test_a_change_with_a_reason_is_recorded_and_left_to_a_reviewer(
    client, online_case, django_capture_on_commit_callbacks
):
    response = _save(client, online_case, A003__company_name=TYPED_NAME, override_reason=REASON)
    assert response.status_code == 302
    online_case.refresh_from_db()
    assert online_case.form_data["A003"]["company_name"] == TYPED_NAME
    assert online_case.registry_prefill["forms"]["A003"]["company_name"] == REGISTRY_NAME
    event = CaseEvent.objects.get(case=online_case, name="registry_override")
    assert (event.data["item"], event.data["field"]) == ("A003", "company_name")
    assert (event.data["registry_value"], event.data["typed_value"]) == (REGISTRY_NAME, TYPED_NAME)
    assert event.data["reason"] == REASON
    assert event.actor is None and event.actor_label == online_actor_label()
    assert not event.is_public

    with django_capture_on_commit_callbacks(execute=True):
        submitted = client.post(
            reverse("citizens:apply_submit", args=[online_case.tracking_no]),
            {"submit_key": str(uuid.uuid4())},
        )
    assert submitted.status_code == 302
    online_case.refresh_from_db()
    assert online_case.state == CaseState.IN_REVIEW
    approvals = Approval.objects.filter(case=online_case)
    assert set(approvals.values_list("state", flat=True)) == {ApprovalState.IN_REVIEW}
    assert not any(approval.is_auto_decided for approval in approvals)
    assert not Certificate.objects.exists()


def test_an_unguarded_field_changes_without_a_reason(client, online_case):
    response = _save(client, online_case, A003__shop_sign="蓉城味道")
    assert response.status_code == 302
    online_case.refresh_from_db()
    assert online_case.form_data["A003"]["shop_sign"] == "蓉城味道"
    assert not online_case.events.filter(name="registry_override").exists()
