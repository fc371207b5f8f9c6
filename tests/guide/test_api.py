"""The catalogue API is public and read-only, counted per trusted client address; each
item says its fee in yuan (null when free)."""

import random

import pytest
from rest_framework.test import APIClient

from departments.constants import Role
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def forged():
    return {"HTTP_X_FORWARDED_FOR": f"{random.randint(1, 223)}.{random.randint(0, 255)}.1.1"}


def test_anyone_may_read_the_items_with_their_fee(catalogue):
    response = APIClient().get("/api/v1/items/")
    assert response.status_code == 200
    fees = {item["code"]: item["fee"] for item in response.json()}
    assert fees == {"A002": None, "A003": "120.00"}


def test_item_and_bundle_detail_are_public(catalogue):
    client = APIClient()
    item = client.get("/api/v1/items/A003/")
    assert item.status_code == 200
    assert item.json()["fee"] == "120.00"
    assert [m["material_type"] for m in item.json()["materials"]] == [
        "LICENCE_COPY",
        "FLOOR_PLAN",
        "ID_CARD",
    ]
    bundle = client.get("/api/v1/bundles/OPEN_RESTAURANT/")
    assert bundle.status_code == 200
    assert bundle.json()["items"] == ["A002", "A003"]
    assert client.get("/api/v1/items/NOPE/").status_code == 404


def test_the_api_is_read_only(catalogue):
    client = APIClient()
    assert client.post("/api/v1/items/", {"code": "X"}, format="json").status_code == 405
    assert client.delete("/api/v1/items/A003/").status_code == 405


def test_throttled_after_the_limit_even_with_rotating_forwarded_for(catalogue, settings):
    settings.CATALOGUE_THROTTLE_RATE = "5/minute"
    client = APIClient()
    codes = [client.get("/api/v1/bundles/", **forged()).status_code for _ in range(12)]
    assert codes == [200] * 5 + [429] * 7
    assert client.get("/api/v1/items/A003/", **forged()).status_code == 429
    # Another real address is counted apart.
    assert client.get("/api/v1/items/", REMOTE_ADDR="198.51.100.9").status_code == 200


def test_staff_keep_their_access_uncounted(catalogue, settings):
    settings.CATALOGUE_THROTTLE_RATE = "2/minute"
    client = APIClient()
    client.force_authenticate(
        StaffFactory(role=Role.DEPARTMENT_SYSTEM, department=catalogue["food"].department)
    )
    assert [client.get("/api/v1/items/").status_code for _ in range(5)] == [200] * 5
