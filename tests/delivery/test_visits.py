"""How many times the applicant came in person, and why: at most once, zero online."""

import pytest
from django.utils import timezone

from cases.constants import CaseState, Channel, VisitReason
from cases.selectors import case_visit_summary
from cases.services.delivery import (
    case_collect,
    delivery_create,
    delivery_mark_delivered,
    delivery_mark_failed,
    visit_record,
)
from tests.factories import CaseFactory, CertificateFactory

from .conftest import parcel

pytestmark = pytest.mark.django_db


def courier_delivered(case, clerk, capture, waybill="EE123456785CN"):
    with capture(execute=True):
        delivery, _ = delivery_create(case=case, actor=clerk, **parcel(waybill=waybill))
    delivery_mark_delivered(delivery=delivery, signed_by="张三", signed_at=timezone.now())


def test_window_case_delivered_by_courier_counts_exactly_one_visit(
    issued_case, clerk, django_capture_on_commit_callbacks
):
    # The applicant came once, to apply at the window; the result went by courier.
    visit_record(case=issued_case, reason=VisitReason.INTAKE, clerk=clerk)
    courier_delivered(issued_case, clerk, django_capture_on_commit_callbacks)
    issued_case.refresh_from_db()
    assert issued_case.state == CaseState.CLOSED
    summary = case_visit_summary(case=issued_case)
    assert summary.count == 1
    assert [(r.reason, r.label, r.count) for r in summary.reasons] == [("intake", "窗口申请", 1)]
    assert summary.is_within_goal


def test_online_case_delivered_by_courier_counts_zero_visits(
    clerk, django_capture_on_commit_callbacks
):
    case = CaseFactory(state=CaseState.ISSUED, channel=Channel.ONLINE)
    CertificateFactory(case=case, holder=case.applicant)
    courier_delivered(case, clerk, django_capture_on_commit_callbacks)
    summary = case_visit_summary(case=case)
    assert (summary.count, summary.reasons, summary.visits) == (0, [], [])
    assert summary.is_within_goal


def test_a_failed_parcel_then_picked_up_shows_every_visit_and_why(
    issued_case, clerk, django_capture_on_commit_callbacks
):
    visit_record(case=issued_case, reason=VisitReason.INTAKE, clerk=clerk)
    visit_record(case=issued_case, reason=VisitReason.SUPPLEMENT, clerk=clerk, note="补交租赁合同")
    with django_capture_on_commit_callbacks(execute=True):
        delivery, _ = delivery_create(case=issued_case, actor=clerk, **parcel())
    delivery_mark_failed(delivery=delivery, reason="地址无法投递")
    case_collect(case=issued_case, actor=clerk)
    summary = case_visit_summary(case=issued_case)
    assert summary.count == 3
    assert [(r.reason, r.count) for r in summary.reasons] == [
        ("intake", 1),
        ("supplement", 1),
        ("collect", 1),
    ]
    assert [v.note for v in summary.visits][1] == "补交租赁合同"
    assert not summary.is_within_goal


def test_reasons_are_counted_per_reason(issued_case, clerk):
    visit_record(case=issued_case, reason=VisitReason.SUPPLEMENT, clerk=clerk)
    visit_record(case=issued_case, reason=VisitReason.SUPPLEMENT, clerk=clerk)
    summary = case_visit_summary(case=issued_case)
    assert [(r.reason, r.count) for r in summary.reasons] == [("supplement", 2)]


def test_summary_takes_one_query_whatever_the_number_of_visits(
    issued_case, clerk, django_assert_num_queries
):
    for _ in range(5):
        visit_record(case=issued_case, reason=VisitReason.OTHER, clerk=clerk)
    with django_assert_num_queries(1):
        summary = case_visit_summary(case=issued_case)
        assert [visit.clerk.username for visit in summary.visits] == ["clerk_test"] * 5


def test_other_cases_visits_are_not_counted(issued_case, clerk):
    other = CaseFactory()
    visit_record(case=other, reason=VisitReason.INTAKE, clerk=clerk)
    assert case_visit_summary(case=issued_case).count == 0
