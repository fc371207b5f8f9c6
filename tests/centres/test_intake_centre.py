"""Where a case is taken (issue 17.1–17.2): the centre of the clerk who takes it, a centre
below theirs when they name one, the city for an online case; and a centre takes only the
items whose lowest level reaches down to it."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Case, Verification
from centres.models import Centre
from centres.services import network_demo_load
from departments.constants import Role
from departments.models import ServiceItem
from tests.cases.services.intake_catalogue import build_catalogue
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def network() -> dict[str, Centre]:
    network_demo_load()
    return {centre.code: centre for centre in Centre.objects.all()}


@pytest.fixture
def catalogue(db):  # type: ignore[no-untyped-def]
    """The intake test catalogue, every item taken down to the village points."""
    built = build_catalogue()
    ServiceItem.objects.update(lowest_level="village")
    return built


def _api(code: str, network: dict[str, Centre]) -> APIClient:
    clerk = StaffFactory(role=Role.CLERK)
    clerk.staff_profile.centre = network[code]
    clerk.staff_profile.save(update_fields=["centre"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=clerk).key}")
    return client


def _create(client: APIClient, catalogue, **body):  # type: ignore[no-untyped-def]
    payload = {
        "applicant": {"id_type": "resident_id", "id_number": catalogue.person_id},
        "items": ["X001"],
        "channel": "window",
        **body,
    }
    return client.post("/api/v1/cases/", payload, format="json")


def test_a_case_belongs_to_the_centre_of_the_clerk_who_takes_it(network, catalogue):
    response = _create(_api("QCGJ", network), catalogue)
    assert response.status_code == 201, response.json()
    assert response.json()["centre"] == "QCGJ"
    assert Case.objects.get(tracking_no=response.json()["tracking_no"]).centre == network["QCGJ"]


def test_a_clerk_may_take_a_case_for_a_centre_below_theirs_but_not_beside_it(network, catalogue):
    client = _api("QC", network)
    below = _create(client, catalogue, centre="QCGJ")
    assert below.status_code == 201 and below.json()["centre"] == "QCGJ"
    cases, reads = Case.objects.count(), Verification.objects.count()
    beside = _create(client, catalogue, centre="GY")
    assert beside.status_code == 400
    assert "不在您所在中心的管辖范围内" in beside.json()["centre"][0]
    unknown = _create(client, catalogue, centre="NOPE")
    assert unknown.status_code == 400 and "centre" in unknown.json()
    assert (Case.objects.count(), Verification.objects.count()) == (cases, reads)


def test_a_village_point_refuses_a_county_item_before_reading_any_registry(network, catalogue):
    ServiceItem.objects.filter(code="X001").update(lowest_level="county")
    cases, reads = Case.objects.count(), Verification.objects.count()
    response = _create(_api("QCGJGJ", network), catalogue)
    assert response.status_code == 400
    message = response.json()["items"][0]
    assert "古井村便民服务代办点" in message and "县（区）级" in message
    assert (Case.objects.count(), Verification.objects.count()) == (cases, reads)
    ServiceItem.objects.filter(code="X001").update(lowest_level="village")
    assert _create(_api("QCGJGJ", network), catalogue).status_code == 201


def test_an_online_case_goes_to_the_city_unless_a_centre_is_chosen(network, catalogue):
    from cases.services.intake import intake_start

    online = intake_start(
        id_type="resident_id", id_number=catalogue.person_id, item_codes=["X001"], channel="online"
    )
    assert online.case.centre == network["BZ"]
    chosen = intake_start(
        id_type="resident_id",
        id_number=catalogue.person_id,
        item_codes=["X001"],
        channel="online",
        centre=network["GY"],
    )
    assert chosen.case.centre == network["GY"]
