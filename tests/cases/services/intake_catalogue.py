"""A small catalogue with one material for each way of meeting a requirement."""

from __future__ import annotations

from dataclasses import dataclass

from departments.constants import RegistryKind
from departments.models import (
    Bundle,
    CertificateType,
    Department,
    MaterialType,
    Registry,
    ServiceItem,
)
from tests.factories import (
    BundleFactory,
    CertificateTypeFactory,
    DepartmentFactory,
    MaterialRequirementFactory,
    MaterialTypeFactory,
    RegistryFactory,
    RegistryRecordFactory,
    ServiceItemFactory,
    SharingAgreementFactory,
    resident_id,
)


@dataclass
class Catalogue:
    department: Department
    window: Department
    unshared: Department
    population: Registry
    legal_person: Registry
    licence: CertificateType
    id_card: MaterialType
    licence_material: MaterialType
    lease: MaterialType
    plan: MaterialType
    produce_licence: ServiceItem
    need_licence: ServiceItem
    also_need_licence: ServiceItem
    fourth: ServiceItem
    unshared_item: ServiceItem
    bundle: Bundle
    person_id: str


def build_catalogue() -> Catalogue:
    department = DepartmentFactory(code="A", name="市市场监督管理局")
    window = DepartmentFactory(code="O", name="市行政审批局")
    unshared = DepartmentFactory(code="K", name="市不动产登记中心")
    population = RegistryFactory(
        code="POPULATION",
        name="人口基础信息库",
        kind=RegistryKind.POPULATION,
        department=DepartmentFactory(code="B", name="市公安局"),
    )
    legal_person = RegistryFactory(
        code="LEGAL_PERSON",
        name="法人单位基础信息库",
        kind=RegistryKind.LEGAL_PERSON,
        department=department,
    )
    for consumer, registry in (
        (department, population),
        (window, population),
        (window, legal_person),
    ):
        SharingAgreementFactory(consumer=consumer, registry=registry)
    licence = CertificateTypeFactory(code="LICENCE", name="营业执照", issuing_department=department)
    id_card = MaterialTypeFactory(code="ID_CARD", name="居民身份证", verifiable_by=population)
    licence_material = MaterialTypeFactory(
        code="LICENCE_COPY", name="营业执照", satisfied_by=licence
    )
    lease = MaterialTypeFactory(code="LEASE", name="房屋租赁合同", reuse_validity_days=365)
    plan = MaterialTypeFactory(code="PLAN", name="平面布局图")
    produce_licence = ServiceItemFactory(
        code="X001",
        name="设立登记",
        department=department,
        produces=licence,
        legal_basis="《市场主体登记管理条例》第二十一条",
        form_fields=[
            {"name": "investor_name", "label": "投资人姓名", "prefill": "POPULATION.name"},
            {"name": "proposed_name", "label": "拟设名称", "prefill": None},
        ],
    )
    need_licence = ServiceItemFactory(
        code="X002",
        name="食品经营许可",
        department=department,
        legal_basis="《食品安全法》第三十五条",
    )
    also_need_licence = ServiceItemFactory(
        code="X003",
        name="卫生许可",
        department=department,
        legal_basis="《公共场所卫生管理条例》第八条",
    )
    fourth = ServiceItemFactory(code="X004", name="招牌设置", department=department)
    unshared_item = ServiceItemFactory(code="K001", name="不动产登记", department=unshared)
    for item, materials in (
        (produce_licence, [id_card, lease]),
        (need_licence, [licence_material, id_card, lease, plan]),
        (also_need_licence, [licence_material, id_card, lease, plan]),
        (fourth, [id_card, plan]),
        (unshared_item, [id_card]),
    ):
        for position, material in enumerate(materials):
            MaterialRequirementFactory(item=item, material_type=material, position=position)
    bundle = BundleFactory(
        code="OPEN_SHOP",
        name="我要开店",
        with_items=[produce_licence, need_licence, also_need_licence, fourth],
    )
    person_id = resident_id(4242)
    RegistryRecordFactory(
        registry=population,
        subject_id=person_id,
        data={"name": "𠮷祥", "address": "成都市锦江区红星路1号", "phone": "13900000001"},
    )
    return Catalogue(
        department=department,
        window=window,
        unshared=unshared,
        population=population,
        legal_person=legal_person,
        licence=licence,
        id_card=id_card,
        licence_material=licence_material,
        lease=lease,
        plan=plan,
        produce_licence=produce_licence,
        need_licence=need_licence,
        also_need_licence=also_need_licence,
        fourth=fourth,
        unshared_item=unshared_item,
        bundle=bundle,
        person_id=person_id,
    )
