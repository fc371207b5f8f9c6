"""The hall's fixtures: the demo network with every centre open round the clock (so the
tests do not depend on the hour they run at), and clerks at its centres."""

from __future__ import annotations

import datetime as dt

import pytest

from centres.models import Centre, Queue, ServiceWindow
from centres.services import network_demo_load
from departments.constants import Role
from departments.identifiers import make_resident_id
from tests.browser.conftest import browser  # noqa: F401 - headless Chromium, for the display test
from tests.factories import StaffFactory

ALWAYS_OPEN = {str(day): [["00:00", "23:59"]] for day in range(1, 8)}


def resident_id(index: int) -> str:
    """A valid resident ID number of 谯城区 (check character included)."""
    return make_resident_id(
        region="341602", birth_date=dt.date(1950 + index, 1, 1), sequence=index + 1
    )


@pytest.fixture
def network(db) -> dict[str, Centre]:
    network_demo_load()
    Centre.objects.update(opening_hours=ALWAYS_OPEN)
    return {centre.code: centre for centre in Centre.objects.all()}


@pytest.fixture
def queue(network):  # type: ignore[no-untyped-def]
    """Usage: ``queue("BZ", "A")``."""

    def get(centre_code: str, code: str) -> Queue:
        return Queue.objects.select_related("centre").get(centre__code=centre_code, code=code)

    return get


@pytest.fixture
def window(network):  # type: ignore[no-untyped-def]
    """Usage: ``window("BZ", 3)``."""

    def get(centre_code: str, number: int) -> ServiceWindow:
        return ServiceWindow.objects.select_related("centre").get(
            centre__code=centre_code, number=number
        )

    return get


@pytest.fixture
def hall_clerk(network):  # type: ignore[no-untyped-def]
    """Usage: ``hall_clerk("QC")``: a window clerk of that centre."""

    def make(centre_code: str):  # type: ignore[no-untyped-def]
        user = StaffFactory(role=Role.CLERK)
        profile = user.staff_profile
        profile.centre = network[centre_code]
        profile.save(update_fields=["centre"])
        return user

    return make
