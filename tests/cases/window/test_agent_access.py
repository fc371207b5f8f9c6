"""A village agent (代办员) applies for people and follows the cases it submitted for them,
and nothing else: not another case, not the hand-out of results (issue 6, rule 5).
Every window URL that takes a case, and the intake API's, tried with someone else's case."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from cases.constants import CaseState, Channel, MaterialStatus
from cases.models import Case, CaseMaterial
from departments.constants import Role
from tests.cases.services.intake_catalogue import build_catalogue
from tests.factories import CaseFactory, StaffFactory

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.fixture
def catalogue(db):
    return build_catalogue()


def _apply(client, catalogue, *, channel, key):
    response = client.post(
        "/window/intake/",
        {
            "id_type": "resident_id",
            "id_number": catalogue.person_id,
            "channel": channel,
            "applicant_present": "on",
            "items": ["X001"],
            "bundle": "",
            "idempotency_key": key,
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return Case.objects.get(tracking_no=response["Location"].rstrip("/").rsplit("/", 1)[-1])


@pytest.fixture
def cases(catalogue, clerk, agent):
    """One case the agent submitted, one a clerk took in at the window (each in a
    browser of their own)."""
    window = Client()
    window.force_login(clerk)
    clerks = _apply(window, catalogue, channel=Channel.WINDOW, key="clerk-1")
    village = Client()
    village.force_login(agent)
    own = _apply(village, catalogue, channel=Channel.AGENT, key="agent-1")
    assert own.created_by == agent and own.channel == Channel.AGENT
    return own, clerks


def _case_urls(case, material_code):
    base = f"/window/cases/{case.tracking_no}/"
    return {
        "GET": [base, base + "receipt/", base + "notice/"],
        "POST": [
            base + "applicant/",
            base + "forms/",
            base + "materials/",
            base + f"materials/{material_code}/decline/",
            base + "submit/",
        ],
    }


def _hand_out_urls(case):
    base = f"/window/cases/{case.tracking_no}/"
    return {
        "GET": [base + "handout/", base + "certificates/1/pdf/", base + "denial/"],
        "POST": [base + "handout/collect/", base + "handout/courier/", base + "denial/handed-out/"],
    }


def test_an_agent_opens_the_case_it_submitted(client, agent, cases):
    own, _ = cases
    client.force_login(agent)
    page = client.get(f"/window/cases/{own.tracking_no}/")
    assert page.status_code == 200
    assert own.tracking_no in page.content.decode()
    # No receipt before it is handed in: back to its page, not a 404.
    receipt = client.get(f"/window/cases/{own.tracking_no}/receipt/")
    assert receipt.status_code == 302 and receipt["Location"] == f"/window/cases/{own.tracking_no}/"


def test_every_window_url_of_someone_elses_case_is_404_for_an_agent_and_changes_nothing(
    client, agent, cases
):
    own, clerks = cases
    material = clerks.materials.filter(status=MaterialStatus.MISSING).first()
    assert material is not None
    before = (clerks.state, clerks.updated_at, clerks.materials.count(), clerks.events.count())
    client.force_login(agent)
    urls = _case_urls(clerks, material.material_type.code)
    for url in urls["GET"]:
        assert client.get(url).status_code == 404, url
    for url in urls["POST"]:
        data = {"material_type": material.material_type.code, "file": _scan()}
        assert client.post(url, data).status_code == 404, url
    clerks.refresh_from_db()
    assert (
        clerks.state,
        clerks.updated_at,
        clerks.materials.count(),
        clerks.events.count(),
    ) == before
    assert not CaseMaterial.objects.filter(case=clerks, sha256__gt="").exists()


def test_a_clerk_still_opens_every_case(client, clerk, cases):
    own, clerks = cases
    client.force_login(clerk)
    for case in (own, clerks):
        assert client.get(f"/window/cases/{case.tracking_no}/").status_code == 200


def test_an_agent_hands_nothing_out_not_even_for_its_own_case(client, agent, cases):
    own, clerks = cases
    Case.objects.filter(pk=own.pk).update(state=CaseState.ISSUED)
    client.force_login(agent)
    for case in (own, clerks):
        urls = _hand_out_urls(case)
        for url in urls["GET"]:
            assert client.get(url).status_code == 403, url
        for url in urls["POST"]:
            assert client.post(url, {}).status_code == 403, url
    own.refresh_from_db()
    assert own.state == CaseState.ISSUED
    # And the case page offers no hand-out to the agent.
    Case.objects.filter(pk=own.pk).update(concluded_at=own.created_at)
    assert "/handout/" not in client.get(f"/window/cases/{own.tracking_no}/").content.decode()


def test_the_agents_list_is_every_case_it_submitted_and_no_other(client, agent, cases):
    own, clerks = cases
    # An older case of the agent's, long concluded: still its to follow.
    old = CaseFactory(state=CaseState.CLOSED, channel=Channel.AGENT, created_by=agent)
    Case.objects.filter(pk=old.pk).update(created_at=own.created_at.replace(year=2025))
    someone_elses_agent_case = CaseFactory(
        channel=Channel.AGENT, created_by=StaffFactory(role=Role.AGENT)
    )
    client.force_login(agent)
    html = client.get("/window/").content.decode()
    assert _link(own) in html and _link(old) in html
    assert clerks.tracking_no not in html
    assert someone_elses_agent_case.tracking_no not in html
    assert "我代办的办件" in html
    assert "待出件" not in html  # the hand-out queue is the clerks'
    # Searching finds nothing beyond its own (the number typed is echoed in the search box).
    found = client.get("/window/", {"q": clerks.tracking_no}).content.decode()
    assert _link(clerks) not in found and _link(own) not in found


def test_the_intake_api_gives_an_agent_only_its_own_cases(agent, cases):
    own, clerks = cases
    api = APIClient()
    api.force_authenticate(agent)
    for case in (clerks,):
        upload = api.post(
            f"/api/v1/cases/{case.tracking_no}/materials/",
            {"material_type": "LEASE", "file": _scan()},
            format="multipart",
        )
        assert upload.status_code == 404
        assert (
            api.post(f"/api/v1/cases/{case.tracking_no}/submit/", {}, format="json").status_code
            == 404
        )
    clerks.refresh_from_db()
    assert clerks.state == CaseState.DRAFT
    assert not CaseMaterial.objects.filter(case=clerks, sha256__gt="").exists()
    upload = api.post(
        f"/api/v1/cases/{own.tracking_no}/materials/",
        {"material_type": "LEASE", "file": _scan()},
        format="multipart",
    )
    assert upload.status_code == 200, upload.json()
    submitted = api.post(f"/api/v1/cases/{own.tracking_no}/submit/", {}, format="json")
    assert submitted.status_code == 200
    assert submitted.json()["state"] == CaseState.IN_REVIEW


def _scan():
    return SimpleUploadedFile("lease.pdf", PDF, content_type="application/pdf")


def _link(case):
    return f'href="/window/cases/{case.tracking_no}/"'


def test_an_agent_replaying_another_users_idempotency_key_learns_nothing_of_that_case(agent, cases):
    own, clerks = cases
    village = Client()
    village.force_login(agent)
    cases_before = Case.objects.count()
    page = village.post(
        "/window/intake/",
        {
            "id_type": "resident_id",
            "id_number": clerks.applicant.id_number,
            "channel": Channel.AGENT,
            "applicant_present": "on",
            "items": ["X001"],
            "bundle": "",
            "idempotency_key": "clerk-1",  # the key the clerk's case was made with
        },
    )
    assert page.status_code == 200  # the form again, with the reason
    html = page.content.decode()
    assert "这个幂等键已用于别人建立的办件" in html
    assert clerks.tracking_no not in html
    api = APIClient()
    api.force_authenticate(agent)
    response = _api_apply(api, clerks.applicant.id_number, key="clerk-1")
    assert response.status_code == 400
    assert "idempotency_key" in response.json()
    assert clerks.tracking_no not in response.content.decode()
    assert Case.objects.count() == cases_before
    # Its own key still gives its own case back.
    again = _api_apply(api, own.applicant.id_number, key="agent-1")
    assert again.status_code == 201
    assert again.json()["tracking_no"] == own.tracking_no


def _api_apply(api, id_number, *, key):
    return api.post(
        "/api/v1/cases/",
        {
            "applicant": {"id_type": "resident_id", "id_number": id_number},
            "items": ["X001"],
            "channel": Channel.AGENT,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
