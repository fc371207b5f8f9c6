import time

import pytest
from django.core.cache import cache

from cases.constants import CaseState
from citizens.constants import SESSION_APPLICANT_KEY, SESSION_SEEN_KEY
from citizens.sms import ConsoleSmsBackend, sms_backend
from tests.factories import ApplicantFactory, CaseFactory, DepartmentFactory, ServiceItemFactory

# A name with a character outside the BMP (U+20BB7): it must survive everywhere.
OWNER_NAME = "𠮷野花子"
OWNER_ID = "110101199003071233"
OTHER_ID = "110101198501011239"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    console = sms_backend()
    if isinstance(console, ConsoleSmsBackend):
        console.sent.clear()
    yield
    cache.clear()


@pytest.fixture
def owner(db):
    return ApplicantFactory(
        name=OWNER_NAME,
        id_number=OWNER_ID,
        phone="13912345678",
        address="四川省成都市锦江区红星路三段1号",
    )


@pytest.fixture
def stranger(db):
    return ApplicantFactory(name="李四", id_number=OTHER_ID, phone="13700001111")


@pytest.fixture
def item(db):
    department = DepartmentFactory(code="I", name="成都市卫生健康委员会")
    return ServiceItemFactory(code="I002", name="二孩生育登记", department=department)


@pytest.fixture
def owner_case(owner, item):
    return CaseFactory(applicant=owner, state=CaseState.IN_REVIEW, items=[item])


@pytest.fixture
def stranger_case(stranger, item):
    return CaseFactory(applicant=stranger, state=CaseState.CLOSED, items=[item])


def sign_in_as(client, applicant):
    """The session a successful one-time-code sign-in leaves (tested in test_sign_in.py)."""
    session = client.session
    session[SESSION_APPLICANT_KEY] = applicant.pk
    session[SESSION_SEEN_KEY] = int(time.time())
    session.save()
    return client


@pytest.fixture
def owner_client(client, owner):
    return sign_in_as(client, owner)


def sent_codes(phone):
    """The codes the console SMS backend sent to this phone, oldest first."""
    import re

    return [
        re.search(r"(\d{6})", message).group(1) for to, message in sms_backend().sent if to == phone
    ]
