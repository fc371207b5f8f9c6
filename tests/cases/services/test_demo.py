"""``load_demo --cases N``: a day of demo cases in every state, made by the real services.

The demo is loaded once for the module with real commits (the services start their
work after commit, as they do in production) and the database is flushed afterwards,
as a transactional test's is. The tests read what that load left behind.
"""

from __future__ import annotations

from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from cases.constants import ApprovalState, CaseState, DeliveryStatus, IdType, SlaColour
from cases.invariants import invariant_counts
from cases.models import Approval, CaseEvent, Delivery, Rating, Verification
from cases.services.demo import demo_cases, demo_story
from cases.workdays import forget_loaded_calendar
from certificates.models import Certificate
from citizens.tracking import track_lookup
from departments.demo.cases import STORIES
from departments.identifiers import validate_resident_id, validate_uscc
from supervision.models import Rectification
from supervision.selectors.audit_chain import audit_chains_verify
from tests.sign_in import sign_in

COUNT = len(STORIES)  # one of each story
# A case never rests in ACCEPTED: acceptance dispatches it in the same transaction.
UNREACHABLE_CASE_STATES = {CaseState.ACCEPTED}
# An approval never rests in PENDING: its checks run right after the dispatch commits.
UNREACHABLE_APPROVAL_STATES = {ApprovalState.PENDING}


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        output = StringIO()
        try:
            call_command("load_demo", "--force", "--cases", str(COUNT), stdout=output)
            yield output.getvalue()
        finally:
            call_command("flush", interactive=False, verbosity=0)
            forget_loaded_calendar()


pytestmark = pytest.mark.django_db


def test_demo_cases_rest_in_every_state_a_case_can_rest_in(demo):
    states = set(demo_cases().values_list("state", flat=True))
    assert states == set(CaseState) - UNREACHABLE_CASE_STATES
    assert f"Demo cases: {COUNT} ({COUNT} created, 0 already there)" in demo


def test_each_case_ends_where_its_story_says(demo):
    for case in demo_cases():
        index = int(case.idempotency_key.removeprefix("demo:"))
        assert case.state == demo_story(index).state, demo_story(index).key


def test_approvals_rest_in_every_state_some_overdue_some_amber(demo):
    approvals = Approval.objects.filter(case__in=demo_cases())
    assert set(approvals.values_list("state", flat=True)) == (
        set(ApprovalState) - UNREACHABLE_APPROVAL_STATES
    )
    colours = Counter(approvals.values_list("sla_colour", flat=True))
    assert colours[SlaColour.RED] >= 2 and colours[SlaColour.AMBER] >= 1
    # The colours come from the SLA service, which records each change.
    assert CaseEvent.objects.filter(name="sla_red").count() == colours[SlaColour.RED]
    assert CaseEvent.objects.filter(name="demo_backdated", is_public=False).count() == 3


def test_results_certificates_parcels_and_ratings_are_the_real_flows(demo):
    certificates = Certificate.objects.filter(case__in=demo_cases())
    assert certificates.count() >= 10
    assert not certificates.filter(pdf_sha256="").exists()  # every one signed
    assert set(Delivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.CREATED,
        DeliveryStatus.SHIPPED,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
    }
    assert sorted(Rating.objects.values_list("level", flat=True)) == [2, 4, 5, 5, 5]
    assert Rectification.objects.count() == 1  # the bad rating opened one
    # Every registry read of the demo is in the data-access log, about its case.
    assert Verification.objects.filter(case__in=demo_cases()).count() > COUNT
    assert not Verification.objects.filter(case__isnull=True).exists()


def test_the_applicants_have_valid_numbers_and_a_name_outside_the_bmp(demo):
    applicants = {case.applicant for case in demo_cases().select_related("applicant")}
    for applicant in applicants:
        if applicant.id_type == IdType.RESIDENT_ID:
            validate_resident_id(applicant.id_number)
        else:
            validate_uscc(applicant.id_number)
    names = {applicant.name for applicant in applicants}
    assert "𠮷秀英" in names  # U+20BB7, kept whole
    assert any(applicant.id_type == IdType.USCC for applicant in applicants)


def test_the_invariants_hold_and_the_audit_chain_verifies(demo):
    assert set(invariant_counts().values()) == {0}
    reports = audit_chains_verify()
    assert reports and all(report.is_intact for report in reports)


def test_loading_again_with_the_same_number_adds_nothing(demo):
    before = (demo_cases().count(), CaseEvent.objects.count(), Verification.objects.count())
    output = StringIO()
    call_command("load_demo", "--force", "--cases", str(COUNT), stdout=output)
    assert f"(0 created, {COUNT} already there)" in output.getvalue()
    assert (
        demo_cases().count(),
        CaseEvent.objects.count(),
        Verification.objects.count(),
    ) == before


def test_the_window_lists_the_demo_cases_and_what_to_hand_out(client, demo):
    sign_in(client, get_user_model().objects.get(username="clerk"))
    response = client.get(reverse("window:queue"))
    assert response.status_code == 200
    body = response.content.decode()
    waiting = demo_cases().filter(
        state__in=[CaseState.APPROVED, CaseState.ISSUED, CaseState.DENIED]
    )
    assert waiting.count() >= 3
    for case in waiting:
        assert case.tracking_no in body


def test_the_supervision_dashboard_and_alerts_show_the_demo(client, demo):
    sign_in(client, get_user_model().objects.get(username="supervisor"))
    dashboard = client.get(reverse("supervision:dashboard"))
    assert dashboard.status_code == 200
    assert "<svg" in dashboard.content.decode()
    alerts = client.get(reverse("supervision:alerts")).content.decode()
    overdue = Approval.objects.filter(sla_colour=SlaColour.RED).select_related("case")
    for approval in overdue:
        assert approval.case.tracking_no in alerts


def test_a_reviewer_finds_their_departments_demo_approvals_in_the_admin(client, demo):
    reviewer = get_user_model().objects.get(username="reviewer_b")  # the passport's
    sign_in(client, reviewer)
    response = client.get(reverse("admin:cases_approval_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    mine = Approval.objects.filter(department__code="B").select_related("case")
    assert mine.exists()
    for approval in mine:
        assert approval.case.tracking_no in body
    page = client.get(
        reverse("admin:cases_case_change", args=[mine.filter(state="IN_REVIEW").first().case_id])
    ).content.decode()
    assert "转人工审查（自动核验中 → 审查中）" in page
    assert "start_review" not in page


def test_the_restaurant_waiting_at_the_window_tracks_as_ready(demo):
    case = demo_cases().get(state=CaseState.APPROVED)
    assert Certificate.objects.filter(case=case).count() == 4
    view = track_lookup(tracking_no=case.tracking_no, id_suffix=case.applicant.id_number[-4:])
    assert view["stage"] == "ready"
    assert "请带上本人身份证到综合窗口领取" in view["explanation"]
