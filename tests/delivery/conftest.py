import pytest

from cases.constants import CaseState, Channel
from departments.constants import Role
from tests.factories import CaseFactory, CertificateFactory, StaffFactory

WEBHOOK_SECRETS = {"EMS": "ems-test-secret", "SF": "sf-test-secret"}


@pytest.fixture
def issued_case(db):
    """A window case whose result exists: one certificate in the library, ready to hand out."""
    case = CaseFactory(state=CaseState.ISSUED, channel=Channel.WINDOW)
    CertificateFactory(case=case, holder=case.applicant)
    return case


@pytest.fixture
def citizen(db):
    from tests.factories import UserFactory

    return UserFactory(username="citizen_test", is_staff=False)


@pytest.fixture
def supervisor(db):
    return StaffFactory(username="supervisor_test", role=Role.SUPERVISOR)


@pytest.fixture
def webhook_secrets(settings):
    settings.COURIER_WEBHOOK_SECRETS = dict(WEBHOOK_SECRETS)
    settings.COURIER_WEBHOOK_TOLERANCE_SECONDS = 300
    return settings.COURIER_WEBHOOK_SECRETS


ADDRESS = {
    "province": "四川省",
    "city": "成都市",
    "district": "锦江区",
    "street": "春熙路街道",
    "detail": "红星路三段1号2栋3单元401",
    "postal_code": "610021",
}


def parcel(**overrides):
    """Keyword arguments of ``delivery_create`` for a valid EMS parcel."""
    values = {
        "courier": "EMS",
        "waybill": "EE123456785CN",
        "recipient": "张三",
        "phone": "13800138000",
        **ADDRESS,
    }
    values.update(overrides)
    return values
