"""The demo network and a fixed clock: Monday 28 September 2026, 08:00 in Bozhou — the
week before the National Day holiday (1–7 October 2026), whose Saturday the 10th is a
make-up working day (``chinese-calendar``)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from centres.models import Centre, Queue
from centres.services import network_demo_load
from citizens.constants import SESSION_APPLICANT_KEY, SESSION_SEEN_KEY
from departments.constants import Role
from tests.factories import ApplicantFactory, StaffFactory
from tests.sign_in import sign_in

MONDAY = dt.date(2026, 9, 28)
TUESDAY = dt.date(2026, 9, 29)
NOW = timezone.make_aware(dt.datetime(2026, 9, 28, 8, 0))
ALL_DAY = {str(day): [["00:00", "23:59"]] for day in range(1, 8)}


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def network(db) -> dict[str, Centre]:
    network_demo_load()
    return {centre.code: centre for centre in Centre.objects.all()}


@pytest.fixture
def county(network) -> Centre:
    return network["QC"]


@pytest.fixture
def queue_a(county) -> Queue:
    return Queue.objects.get(centre=county, code="A")


@pytest.fixture
def person(db):
    return ApplicantFactory(name="王小明", id_number="110101199003071233", phone="13912345678")


@pytest.fixture
def other_person(db):
    return ApplicantFactory(name="李四", id_number="110101198501011239", phone="13700001111")


def staff_at(centre: Centre, *, role: str = Role.CLERK, username: str | None = None):  # type: ignore[no-untyped-def]
    user = StaffFactory(role=role, **({"username": username} if username else {}))
    profile = user.staff_profile
    profile.centre = centre
    profile.save(update_fields=["centre"])
    return user


def staff_client(client, user):  # type: ignore[no-untyped-def]
    return sign_in(client, user)


def citizen_client(client, applicant):  # type: ignore[no-untyped-def]
    """The session a one-time-code sign-in leaves (``citizens.session``)."""
    session = client.session
    session[SESSION_APPLICANT_KEY] = applicant.pk
    session[SESSION_SEEN_KEY] = int(time.time())
    session.save()
    return client
