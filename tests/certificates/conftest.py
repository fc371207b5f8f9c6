import pytest
from django.core.cache import cache

from departments.constants import Role
from tests.factories import (
    ApplicantFactory,
    CertificateFactory,
    CertificateTypeFactory,
    DepartmentFactory,
    StaffFactory,
)

# A person whose name has a character outside the BMP (U+20BB7), which the embedded
# Noto CJK font has: it must survive into the PDF text and the masked views.
HOLDER_NAME = "𠮷田张三"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def issuing_department(db):
    return DepartmentFactory(
        code="A", name="成都市市场监督管理局", credit_code="11510100MB00153032"
    )


@pytest.fixture
def certificate_type(issuing_department):
    return CertificateTypeFactory(
        code="FOOD_BUSINESS_LICENCE",
        name="食品经营许可证",
        issuing_department=issuing_department,
        validity_days=1825,
    )


@pytest.fixture
def holder(db):
    return ApplicantFactory(name=HOLDER_NAME, id_number="110101199003071234")


@pytest.fixture
def certificate(certificate_type, holder):
    return CertificateFactory(
        number="FOOD_BUSINESS_LICENCE-2026-000001",
        licence_id="1.2.156.3005.2.FOODBUSINESSLICENCE.11510100MB00153032.2026000001.001.E",
        certificate_type=certificate_type,
        holder=holder,
        data={"item": "A003", "item_name": "食品经营许可", "holder_name": HOLDER_NAME},
    )


@pytest.fixture
def issuing_reviewer(issuing_department):
    return StaffFactory(username="reviewer_cert", role=Role.REVIEWER, department=issuing_department)


@pytest.fixture
def foreign_reviewer(db):
    return StaffFactory(
        username="reviewer_foreign",
        role=Role.REVIEWER,
        department=DepartmentFactory(code="B", name="成都市公安局"),
    )
