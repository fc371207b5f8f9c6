from decimal import Decimal

import pytest
from django.core.cache import cache

from tests.factories import (
    BundleFactory,
    CertificateTypeFactory,
    DepartmentFactory,
    MaterialRequirementFactory,
    MaterialTypeFactory,
    RegistryFactory,
    ServiceItemFactory,
)


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def catalogue(db):
    """A restaurant's "one thing": a registry-checked ID, a certificate from the library,
    a paper plan; one item with a fee."""
    market = DepartmentFactory(code="A", name="市场监督管理局")
    police = DepartmentFactory(code="B", name="公安局")
    population = RegistryFactory(code="POPULATION", name="人口基础信息库", department=police)
    licence = CertificateTypeFactory(
        code="BUSINESS_LICENCE", name="营业执照", issuing_department=market
    )
    id_card = MaterialTypeFactory(code="ID_CARD", name="居民身份证", verifiable_by=population)
    licence_copy = MaterialTypeFactory(
        code="LICENCE_COPY", name="营业执照副本", satisfied_by=licence
    )
    floor_plan = MaterialTypeFactory(code="FLOOR_PLAN", name="经营场所平面图")
    company = ServiceItemFactory(
        code="A002", name="有限责任公司设立登记", department=market, produces=licence
    )
    food = ServiceItemFactory(
        code="A003",
        name="食品经营许可（餐饮服务）核发",
        department=market,
        fee=Decimal("120.00"),
        promised_working_days=10,
        legal_basis="《中华人民共和国食品安全法》第三十五条",
    )
    MaterialRequirementFactory(item=company, material_type=id_card, position=0)
    MaterialRequirementFactory(item=food, material_type=licence_copy, position=0)
    MaterialRequirementFactory(item=food, material_type=floor_plan, position=1, note="含加工制作间")
    MaterialRequirementFactory(item=food, material_type=id_card, position=2)
    bundle = BundleFactory(
        code="OPEN_RESTAURANT",
        name="我要开餐馆",
        description="从公司设立到食品经营许可，一次申请。",
        with_items=[company, food],
    )
    return {"company": company, "food": food, "bundle": bundle}
