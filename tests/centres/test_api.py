"""The network API and the staff's case reads (issue 17.7): ``GET /api/v1/centres/``, and
``GET /api/v1/cases/`` / ``GET /api/v1/cases/<tracking_no>/`` in the caller's scope."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.constants import CaseState
from centres.models import Centre, ServiceWindow
from centres.services import network_demo_load
from departments.constants import Role
from tests.factories import CaseFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def network(db) -> dict[str, Centre]:
    network_demo_load()
    return {centre.code: centre for centre in Centre.objects.all()}


def api_as(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def staff_at(centre: Centre | None, role: str = Role.CLERK):  # type: ignore[no-untyped-def]
    user = StaffFactory(role=role)
    if centre is not None:
        user.staff_profile.centre = centre
        user.staff_profile.save(update_fields=["centre"])
    return user


# --- GET /api/v1/centres/ ----------------------------------------------------------------


def test_the_network_is_public_with_queues_and_windows(network):
    answer = APIClient().get("/api/v1/centres/")
    assert answer.status_code == 200
    centres = {centre["code"]: centre for centre in answer.json()}
    assert set(centres) == set(network)
    assert answer.json()[0]["code"] == "BZ"  # top of the tree first
    city, town = centres["BZ"], centres["QCGJ"]
    assert set(city) == {"code", "name", "level", "parent", "queues", "windows"}
    assert (city["level"], city["parent"]) == ("city", None)
    assert (town["level"], town["parent"]) == ("town", "QC")
    assert {"code": "A", "name": "综合受理"} in city["queues"]
    assert {"code": "6", "queues": ["A", "D"]} in city["windows"]
    assert town["windows"] == [{"code": "1", "queues": ["A"]}, {"code": "2", "queues": ["A", "B"]}]


def test_inactive_centres_windows_and_queues_are_left_out(network):
    Centre.objects.filter(code="QCGJZJ").update(is_active=False)
    ServiceWindow.objects.filter(centre__code="QCGJ", number=2).update(is_active=False)
    network["QCGJ"].queues.filter(code="B").update(is_active=False)
    centres = {centre["code"]: centre for centre in APIClient().get("/api/v1/centres/").json()}
    assert "QCGJZJ" not in centres
    assert centres["QCGJ"]["windows"] == [{"code": "1", "queues": ["A"]}]
    assert [queue["code"] for queue in centres["QCGJ"]["queues"]] == ["A"]


def test_the_network_reads_in_a_fixed_number_of_queries(network, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert APIClient().get("/api/v1/centres/").status_code == 200


def test_the_network_is_throttled_per_address(network, settings):
    settings.CATALOGUE_THROTTLE_RATE = "2/minute"
    client = APIClient()
    assert [client.get("/api/v1/centres/").status_code for _ in range(3)] == [200, 200, 429]


# --- GET /api/v1/cases/ ------------------------------------------------------------------


@pytest.fixture
def cases(network):  # type: ignore[no-untyped-def]
    """One case at the city, the county 谯城区, its town 古井镇, its village 古井村, and
    the other county 涡阳县."""
    return {
        code: CaseFactory(centre=network[code], state=CaseState.SUBMITTED)
        for code in ("BZ", "QC", "QCGJ", "QCGJGJ", "GY")
    }


def _listed(client, **query) -> set[str]:  # type: ignore[no-untyped-def]
    answer = client.get("/api/v1/cases/", query)
    assert answer.status_code == 200, answer.content
    return {case["tracking_no"] for case in answer.json()["results"]}


def _numbers(cases, *codes) -> set[str]:  # type: ignore[no-untyped-def]
    return {cases[code].tracking_no for code in codes}


@pytest.mark.parametrize(
    ("centre", "role", "sees"),
    [
        ("QC", Role.CLERK, ("QC", "QCGJ", "QCGJGJ")),
        ("QCGJ", Role.CLERK, ("QCGJ", "QCGJGJ")),
        ("QC", Role.SUPERVISOR, ("QC", "QCGJ", "QCGJGJ")),
        ("BZ", Role.SUPERVISOR, ("BZ", "QC", "QCGJ", "QCGJGJ", "GY")),
    ],
)
def test_the_list_holds_the_cases_of_the_callers_part_of_the_network(
    cases, network, centre, role, sees
):
    assert _listed(api_as(staff_at(network[centre], role))) == _numbers(cases, *sees)


def test_a_reviewer_reads_approvals_not_the_window_cases(cases, reviewer):
    client = api_as(reviewer)
    assert client.get("/api/v1/cases/").status_code == 403
    assert client.get(f"/api/v1/cases/{cases['QC'].tracking_no}/").status_code == 403


def test_the_list_needs_a_token(cases):
    assert APIClient().get("/api/v1/cases/").status_code == 401


def test_the_list_shape_and_its_filters(cases, network):
    client = api_as(staff_at(network["QC"]))
    CaseFactory(centre=network["QCGJ"], state=CaseState.DRAFT)
    page = client.get("/api/v1/cases/", {"centre": "QCGJ", "state": "SUBMITTED"}).json()
    assert page["count"] == 2
    assert {case["tracking_no"] for case in page["results"]} == _numbers(cases, "QCGJ", "QCGJGJ")
    first = page["results"][0]
    assert set(first) == {
        "tracking_no",
        "state",
        "channel",
        "centre",
        "items",
        "due_date",
        "submitted_at",
        "created_at",
    }
    assert first["state"] == "SUBMITTED" and first["centre"] in {"QCGJ", "QCGJGJ"}
    assert _listed(client, state="DRAFT,SUBMITTED", centre="QCGJGJ") == _numbers(cases, "QCGJGJ")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"state": "LOST"}, "state", "未知状态：LOST"),
        ({"state": ""}, "state", "未知状态：（空）"),
        ({"centre": "GY"}, "centre", "没有代码为 GY 的在用服务中心"),  # outside: as unknown
        ({"centre": "NOPE"}, "centre", "没有代码为 NOPE 的在用服务中心"),
        ({"page": "0"}, "page", "页码 page 须为正整数"),
    ],
)
def test_a_bad_filter_is_refused_by_name(cases, network, query, field, message):
    answer = api_as(staff_at(network["QC"])).get("/api/v1/cases/", query)
    assert answer.status_code == 400
    assert message in answer.json()[field][0]


def test_the_list_reads_in_a_fixed_number_of_queries(cases, network, django_assert_max_num_queries):
    client = api_as(staff_at(network["BZ"]))
    client.get("/api/v1/cases/")  # the token and the profile, once
    for _ in range(10):
        CaseFactory(centre=network["QC"])
    # The token, the profile, its centre, the count, the page, its items, the session.
    with django_assert_max_num_queries(7):
        assert client.get("/api/v1/cases/").json()["count"] == 15


def test_posting_to_the_list_still_opens_a_case_only_for_window_staff(cases, network):
    supervisor = api_as(staff_at(network["QC"], Role.SUPERVISOR))
    answer = supervisor.post("/api/v1/cases/", {"items": ["A002"]}, format="json")
    assert answer.status_code == 403
    assert "窗口人员或代办员" in answer.json()["detail"]
    clerk = api_as(staff_at(network["QC"]))
    assert clerk.post("/api/v1/cases/", {}, format="json").status_code == 400


# --- GET /api/v1/cases/<tracking_no>/ ------------------------------------------------------


def test_a_case_in_scope_answers_the_intake_json_with_its_centre(cases, network):
    answer = api_as(staff_at(network["QC"])).get(f"/api/v1/cases/{cases['QCGJGJ'].tracking_no}/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["tracking_no"] == cases["QCGJGJ"].tracking_no
    assert body["centre"] == "QCGJGJ"
    assert {"state", "channel", "due_date", "checklist", "missing", "form_data"} <= set(body)


@pytest.mark.parametrize(
    ("centre", "role", "case"),
    [
        ("QC", Role.CLERK, "GY"),
        ("QC", Role.CLERK, "BZ"),
        ("QCGJ", Role.CLERK, "QC"),
        ("QCGJGJ", Role.CLERK, "QCGJ"),
        ("QC", Role.SUPERVISOR, "GY"),
    ],
)
def test_a_case_outside_the_scope_answers_as_one_that_does_not_exist(
    cases, network, centre, role, case
):
    client = api_as(staff_at(network[centre], role))
    outside = client.get(f"/api/v1/cases/{cases[case].tracking_no}/")
    unknown = client.get("/api/v1/cases/NO-SUCH-CASE/")
    assert outside.status_code == unknown.status_code == 404
    assert outside.json() == unknown.json()


def test_the_city_supervisor_opens_any_case(cases, network):
    client = api_as(staff_at(network["BZ"], Role.SUPERVISOR))
    for case in cases.values():
        assert client.get(f"/api/v1/cases/{case.tracking_no}/").status_code == 200


def test_a_village_agent_reads_only_the_cases_it_submitted(cases, network):
    agent = staff_at(network["QCGJGJ"], Role.AGENT)
    own = CaseFactory(centre=network["QCGJGJ"], created_by=agent)
    client = api_as(agent)
    assert _listed(client) == {own.tracking_no}
    assert client.get(f"/api/v1/cases/{own.tracking_no}/").status_code == 200
    assert client.get(f"/api/v1/cases/{cases['QCGJGJ'].tracking_no}/").status_code == 404


# --- the schema ------------------------------------------------------------------------------


def test_the_schema_lists_the_network_and_case_reads():
    paths = APIClient().get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    assert set(paths["/api/v1/centres/"]["get"]["responses"]) == {"200", "429"}
    assert set(paths["/api/v1/cases/"]) == {"get", "post"}
    assert {"200", "400", "401", "403", "404"} == set(paths["/api/v1/cases/"]["get"]["responses"])
    assert {"200", "401", "403", "404"} == set(
        paths["/api/v1/cases/{tracking_no}/"]["get"]["responses"]
    )
