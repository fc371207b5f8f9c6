"""Data scope (issue 17.2): a clerk or supervisor sees the cases of their centre and every
centre below it, and a case outside answers like one that does not exist (404).

The endpoints are not listed by hand: every URL of the site that names a case (by its
tracking number) or a case's rectification, outside the citizen's own pages, and every
admin page of a model that belongs to a case, is requested as a clerk and as a
supervisor of 谯城区 for a case of 涡阳县 (404), and as the same roles of the city, who
may see it (never 404): the 404 is the scope's, not the URL's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cases.constants import CaseState, EventKind, VerificationOutcome
from cases.models import CaseEvent, CourierEvent, Rating, Verification
from centres.models import Centre
from centres.services import network_demo_load
from departments.constants import Role
from supervision.models import Rectification
from tests.factories import (
    ApprovalFactory,
    CaseFactory,
    CaseMaterialFactory,
    CertificateFactory,
    DeliveryFactory,
    RegistryFactory,
    StaffFactory,
    VisitFactory,
)
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db

# The citizen's own pages and the public ones: scoped by person or public, not by centre.
NOT_STAFF = ("me/", "track/", "api/v1/track/", "verify/", "api/v1/certificates/verify/")
# Reviewers act on approvals by department (``api/v1/approvals/<pk>/decision/``): they
# keep their department scope and have no centre, so that URL is not a centre-scoped one.
CASE_PARAMETERS = ("<str:tracking_no>", "rectifications/<int:pk>")


def _routes(patterns: list, prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def case_routes() -> list[str]:
    """Every staff route that names a case or a case's rectification."""
    return sorted(
        route
        for route in _routes(get_resolver().url_patterns)
        if any(parameter in route for parameter in CASE_PARAMETERS)
        and not route.startswith(NOT_STAFF)
        and not route.startswith("admin/")
    )


@pytest.fixture
def network() -> dict[str, Centre]:
    network_demo_load()
    return {centre.code: centre for centre in Centre.objects.all()}


def _staff(role: str, centre: Centre, *, admin_views: bool = False, department=None):  # type: ignore[no-untyped-def]
    user = StaffFactory(role=role, is_staff=True, department=department)
    profile = user.staff_profile
    profile.centre = centre
    profile.save(update_fields=["centre"])
    if admin_views:
        user.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label__in=["cases", "certificates", "supervision"]
            )
        )
    return user


@pytest.fixture
def far_case(network):  # type: ignore[no-untyped-def]
    """A case of 涡阳县 with one of everything that hangs off a case."""
    case = CaseFactory(state=CaseState.ISSUED, centre=network["GY"])
    approval = ApprovalFactory(case=case)
    material = CaseMaterialFactory(case=case)
    certificate = CertificateFactory(case=case, holder=case.applicant)
    certificate.pdf.save("scope.pdf", ContentFile(b"%PDF-1.7 scope test"))
    delivery = DeliveryFactory(case=case)
    rating = Rating.objects.create(case=case, level=1, comment="差")
    objects = {
        "case": case,
        "approval": approval,
        "casematerial": material,
        "certificate": certificate,
        "delivery": delivery,
        "courierevent": CourierEvent.objects.create(
            courier=delivery.courier,
            event_id="E1",
            delivery=delivery,
            status=delivery.status,
            occurred_at=timezone.now(),
            body_sha256="0" * 64,
        ),
        "visit": VisitFactory(case=case),
        "caseevent": CaseEvent.objects.create(case=case, kind=EventKind.NOTE, name="note"),
        "rating": rating,
        "rectification": Rectification.objects.create(
            rating=rating, due_date=timezone.localdate() + dt.timedelta(days=5)
        ),
        "verification": Verification.objects.create(
            registry=RegistryFactory(),
            subject_id=case.applicant.id_number,
            purpose="核验",
            case=case,
            requesting_department=approval.department,
            outcome=VerificationOutcome.OK,
            request_sha256="0" * 64,
        ),
        "applicant": case.applicant,
    }
    return objects


def _url(route: str, objects: dict) -> str:
    case = objects["case"]
    url = "/" + route
    replacements = {
        "<str:tracking_no>": case.tracking_no,
        "<int:certificate_id>": str(objects["certificate"].pk),
        "<str:material_code>": objects["casematerial"].material_type.code,
        "<int:pk>": str(objects["rectification"].pk),
    }
    for parameter, value in replacements.items():
        url = url.replace(parameter, value)
    assert "<" not in url, f"{route}: a parameter this test does not fill in"
    return url


def test_the_routes_that_name_a_case_are_found():
    routes = case_routes()
    assert "window/cases/<str:tracking_no>/" in routes
    assert "api/v1/cases/<str:tracking_no>/submit/" in routes
    assert "supervision/rectifications/<int:pk>/callback/" in routes
    assert len(routes) >= 19  # 14 window pages, 3 intake API, 2 rectification actions


@pytest.mark.parametrize("route", case_routes())
def test_a_case_of_another_county_answers_404_on_every_staff_url(client, network, far_case, route):
    url = _url(route, far_case)
    role = Role.SUPERVISOR if route.startswith("supervision/") else Role.CLERK
    # A county's and a town's staff: another county's case does not exist for them.
    for code in ("QC", "QCGJ"):
        sign_in(client, _staff(role, network[code]))
        # A method the URL does not take answers 405 whatever the case: it tells nothing.
        answers = {client.get(url).status_code, client.post(url).status_code}
        assert 404 in answers and answers <= {404, 405}, f"{code} {url}: {answers}"
    # A reviewer (department scope, no centre) is not window or supervision staff at all.
    sign_in(
        client, _staff(Role.REVIEWER, network["BZ"], department=far_case["approval"].department)
    )
    answers = {client.get(url).status_code, client.post(url).status_code}
    assert answers <= {403, 404, 405}, f"reviewer {url}: {answers}"
    # The city sees it: the 404 above is the scope's, not the URL's.
    sign_in(client, _staff(role, network["BZ"]))
    answers = {client.get(url).status_code, client.post(url).status_code}
    assert 404 not in answers, f"{url}: {answers}"


def case_admins() -> list[tuple[str, str]]:
    """Every admin of a model of the cases, certificates and supervision apps, as (app,
    model)."""
    return sorted(
        (model._meta.app_label, model._meta.model_name)
        for label in ("cases", "certificates", "supervision")
        for model in apps.get_app_config(label).get_models()
        if admin.site.is_registered(model)
    )


# The admins of rows that belong to no one case: a centre's staff see none of them.
NOT_A_CASE_ROW = {("cases", "numbersequence"), ("cases", "job"), ("cases", "auditchainhead")}


@pytest.mark.parametrize(("app_label", "model_name"), case_admins())
def test_every_admin_page_of_a_case_row_answers_404_out_of_scope(
    client, network, far_case, app_label, model_name
):
    user = _staff(Role.SUPERVISOR, network["QC"], admin_views=True)
    sign_in(client, user)
    changelist = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert changelist.status_code == 200
    if (app_label, model_name) in NOT_A_CASE_ROW:
        assert changelist.context["cl"].result_count == 0
        return
    row = far_case[model_name]
    assert changelist.context["cl"].result_count == 0, "a row of 涡阳县 is listed"
    for page in ("change", "history"):
        url = reverse(f"admin:{app_label}_{model_name}_{page}", args=[row.pk])
        assert client.get(url).status_code == 404, url
    # The city supervisor opens the same pages.
    sign_in(client, _staff(Role.SUPERVISOR, network["BZ"], admin_views=True))
    url = reverse(f"admin:{app_label}_{model_name}_change", args=[row.pk])
    assert client.get(url).status_code == 200, url


def test_a_county_sees_its_towns_and_villages_but_not_the_city_or_another_county(network):
    from cases.selectors import window_cases

    cases = {
        code: CaseFactory(state=CaseState.SUBMITTED, centre=network[code])
        for code in ("BZ", "QC", "QCGJ", "QCGJGJ", "GY")
    }
    before_network = CaseFactory(state=CaseState.SUBMITTED)  # no centre: the city's
    seen = {
        code: set(window_cases(user=_staff(Role.CLERK, network[code])).values_list("pk", flat=True))
        for code in ("BZ", "QC", "QCGJ", "QCGJGJ", "GY")
    }
    ids = {code: case.pk for code, case in cases.items()}
    assert seen["BZ"] == {*ids.values(), before_network.pk}
    assert seen["QC"] == {ids["QC"], ids["QCGJ"], ids["QCGJGJ"]}
    assert seen["QCGJ"] == {ids["QCGJ"], ids["QCGJGJ"]}
    assert seen["QCGJGJ"] == {ids["QCGJGJ"]}
    assert seen["GY"] == {ids["GY"]}


def test_the_window_queue_and_hand_out_lists_show_only_the_scope(client, network):
    mine = CaseFactory(state=CaseState.SUBMITTED, centre=network["QCGJ"])
    theirs = CaseFactory(state=CaseState.SUBMITTED, centre=network["GY"])
    mine_out = CaseFactory(state=CaseState.APPROVED, centre=network["QC"])
    theirs_out = CaseFactory(state=CaseState.APPROVED, centre=network["MC"])
    sign_in(client, _staff(Role.CLERK, network["QC"]))
    body = client.get(reverse("window:queue")).content.decode()
    assert mine.tracking_no in body and mine_out.tracking_no in body
    assert theirs.tracking_no not in body and theirs_out.tracking_no not in body


def test_the_supervision_pages_of_a_county_count_only_the_county(client, network):
    for code in ("QC", "QCGJ", "GY", "GY", "MC"):
        CaseFactory(state=CaseState.SUBMITTED, centre=network[code])
    sign_in(client, _staff(Role.SUPERVISOR, network["QC"]))
    response = client.get(reverse("supervision:dashboard"))
    assert response.context["figures"].cases == 2
    # Asking for the city, or another county, is not a choice it has: its own county.
    for code in ("BZ", "GY"):
        response = client.get(reverse("supervision:dashboard"), {"centre": code})
        assert response.context["figures"].cases == 2
        assert response.context["form"].errors["centre"]
    # Drilling down to its town.
    response = client.get(reverse("supervision:dashboard"), {"centre": "QCGJ"})
    assert response.context["figures"].cases == 1


def test_the_city_dashboard_ranks_the_counties(client, network):
    closed = dict(state=CaseState.CLOSED, concluded_at=timezone.now())
    today = timezone.localdate()
    CaseFactory(centre=network["QCGJ"], due_date=today + dt.timedelta(days=1), **closed)
    CaseFactory(centre=network["GY"], due_date=today - dt.timedelta(days=3), **closed)
    CaseFactory(centre=network["GY"], state=CaseState.SUBMITTED)
    sign_in(client, _staff(Role.SUPERVISOR, network["BZ"]))
    response = client.get(reverse("supervision:dashboard"))
    ranking = response.context["ranking"]
    assert [row.centre.code for row in ranking] == ["QC", "GY", "MC"]
    qc, gy, mc = ranking
    assert (qc.cases, qc.on_time_rate, qc.at_most_one_visit_rate) == (1, 1.0, 1.0)
    assert (gy.cases, gy.open, gy.on_time_rate) == (2, 1, 0.0)
    assert (mc.cases, mc.on_time_rate) == (0, None)
    body = response.content.decode()
    assert "下级服务中心排名" in body and "centre=QC" in body


def test_a_village_point_cannot_take_a_county_level_item(network):
    from cases.services.intake.centres import CentreRefusedError, items_accepted_at
    from tests.factories import ServiceItemFactory

    county_item = ServiceItemFactory(lowest_level="county", name="不动产转移登记")
    village_item = ServiceItemFactory(lowest_level="village", name="居住登记")
    items_accepted_at(centre=network["QCGJGJ"], items=[village_item])
    items_accepted_at(centre=network["BZ"], items=[county_item, village_item])
    with pytest.raises(CentreRefusedError) as refused:
        items_accepted_at(centre=network["QCGJGJ"], items=[county_item, village_item])
    assert "不动产转移登记" in str(refused.value) and "居住登记" not in str(refused.value)
    assert "县（区）级" in str(refused.value)
