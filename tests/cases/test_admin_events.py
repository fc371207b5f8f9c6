"""The admin and supervision show case events in words, never by their code names."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.constants import ApprovalState, CaseState, EventKind, SlaColour
from cases.events import event_label, event_states, event_summary
from cases.models import CaseEvent
from tests.factories import ApprovalFactory, CaseFactory
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db

# (The approval page carries its state in a hidden field of the decision form: no bare "IN_REVIEW".)
RAW_NAMES = ("start_review", "sla_red", "PENDING → IN_REVIEW", "PENDING→IN_REVIEW", "AMBER")


@pytest.fixture
def events(department):
    case = CaseFactory(state=CaseState.IN_REVIEW)
    approval = ApprovalFactory(case=case, department=department, state=ApprovalState.IN_REVIEW)
    CaseEvent.objects.create(
        case=case, kind=EventKind.TRANSITION, name="create", to_state=CaseState.DRAFT
    )
    review = CaseEvent.objects.create(
        case=case,
        approval=approval,
        kind=EventKind.TRANSITION,
        name="start_review",
        from_state=ApprovalState.PENDING,
        to_state=ApprovalState.IN_REVIEW,
    )
    CaseEvent.objects.create(
        case=case,
        approval=approval,
        kind=EventKind.SLA,
        name="sla_red",
        from_state=SlaColour.AMBER,
        to_state=SlaColour.RED,
        is_public=False,
    )
    return case, approval, review


def test_an_event_reads_as_its_label_with_its_states_in_words(events):
    case, _approval, review = events
    assert event_summary(review) == "转人工审查（自动核验中 → 审查中）"
    assert str(review) == f"{case.pk} 转人工审查（自动核验中 → 审查中）"
    sla = CaseEvent.objects.get(name="sla_red")
    assert event_summary(sla) == "超期预警（预警 → 超期）"
    assert event_states(CaseEvent.objects.get(name="create")) == "→ 草稿"
    assert event_label("not_a_known_event") == "not_a_known_event"


@pytest.mark.parametrize(
    ("language", "label", "states"),
    [
        ("zh-hans", "转人工审查", "自动核验中 → 审查中"),
        ("en", "Refer to manual review", "Automatic checks running → In review"),
    ],
)
def test_the_admin_shows_labels_not_raw_names(client, superuser, events, language, label, states):
    """The case page's timeline (inline), the approval's, the event list and an event's page."""
    case, approval, review = events
    sign_in(client, superuser)
    pages = [
        reverse("admin:cases_case_change", args=[case.pk]),
        reverse("admin:cases_approval_change", args=[approval.pk]),
        reverse("admin:cases_caseevent_changelist"),
        reverse("admin:cases_caseevent_change", args=[review.pk]),
    ]
    for url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert label in body and states in body, url
        for raw in RAW_NAMES:
            assert raw not in body, (url, raw)


def test_the_event_list_still_finds_an_event_by_its_code_name(client, superuser, events):
    sign_in(client, superuser)
    response = client.get(reverse("admin:cases_caseevent_changelist"), {"q": "start_review"})
    assert response.status_code == 200
    assert "转人工审查" in response.content.decode()


def test_supervisions_audit_trail_shows_labels(client, events):
    from departments.constants import Role
    from tests.factories import StaffFactory

    sign_in(client, StaffFactory(role=Role.SUPERVISOR))
    case, _approval, _review = events
    body = client.get(reverse("supervision:audit"), {"tracking_no": case.tracking_no}).content
    body = body.decode()
    assert "转人工审查" in body and "自动核验中 → 审查中" in body
    assert "start_review" not in body
