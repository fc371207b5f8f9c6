"""A company in the legal-person registry and two items decided automatically (秒批)
when the registry check passes, each producing a certificate: the ground of the attack
of issue 19 point 3 (a clerk types another company name over the prefilled one)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db.models import Q
from pypdf import PdfReader

from departments.constants import RegistryKind, Role
from departments.identifiers import make_uscc
from departments.services.demo import GROUP_PERMISSIONS
from tests.factories import (
    CertificateTypeFactory,
    DepartmentFactory,
    MaterialRequirementFactory,
    MaterialTypeFactory,
    RegistryFactory,
    RegistryRecordFactory,
    ServiceItemFactory,
    SharingAgreementFactory,
    StaffFactory,
)

REGISTRY_NAME = "成都蓉城味道餐饮有限公司"
REGISTRY_REPRESENTATIVE = "𠮷田张三"
REGISTRY_ADDRESS = "成都市锦江区红星路三段1号"
TYPED_NAME = "成都蓉城味道餐饮连锁集团有限公司"
REASON = "企业已核准更名，法人库尚未同步；申请人出示了名称变更核准通知书"


def grant(user, keys) -> None:
    condition = Q(pk__in=[])
    for app_label, codename in keys:
        condition |= Q(content_type__app_label=app_label, codename=codename)
    user.user_permissions.set(Permission.objects.filter(condition))


@dataclass
class OverrideCatalogue:
    company_id: str
    items: list[str]
    reviewer: object
    market: object


def build_override_catalogue() -> OverrideCatalogue:
    market = DepartmentFactory(
        code="A", name="成都市市场监督管理局", credit_code="11510100MB00153032"
    )
    window = DepartmentFactory(code="O", name="成都市行政审批局")
    legal_person = RegistryFactory(
        code="LEGAL_PERSON",
        name="法人单位基础信息库",
        kind=RegistryKind.LEGAL_PERSON,
        department=market,
    )
    for consumer in (market, window):
        SharingAgreementFactory(consumer=consumer, registry=legal_person)
    licence_check = MaterialTypeFactory(
        code="BUSINESS_LICENCE", name="营业执照", verifiable_by=legal_person
    )
    items = []
    for code, name, certificate_code, certificate_name in (
        ("A003", "食品经营许可", "FOOD_BUSINESS_LICENCE", "食品经营许可证"),
        ("A007", "户外招牌设置备案", "SIGNBOARD_FILING", "户外招牌设置备案证明"),
    ):
        item = ServiceItemFactory(
            code=code,
            name=name,
            department=market,
            auto_decide=True,
            produces=CertificateTypeFactory(
                code=certificate_code, name=certificate_name, issuing_department=market
            ),
            form_fields=[
                {"name": "company_name", "label": "企业名称", "prefill": "LEGAL_PERSON.name"},
                {"name": "shop_sign", "label": "招牌内容", "prefill": None},
            ],
        )
        MaterialRequirementFactory(item=item, material_type=licence_check)
        items.append(code)
    company_id = make_uscc(region="510104", organisation_code="MA6CX0009")
    RegistryRecordFactory(
        registry=legal_person,
        subject_id=company_id,
        data={
            "name": REGISTRY_NAME,
            "legal_representative": REGISTRY_REPRESENTATIVE,
            "registered_address": REGISTRY_ADDRESS,
            "phone": "02886000000",
            "status": "存续",
        },
    )
    reviewer = StaffFactory(username="reviewer_a_override", role=Role.REVIEWER, department=market)
    grant(reviewer, GROUP_PERMISSIONS["reviewers"])
    return OverrideCatalogue(company_id=company_id, items=items, reviewer=reviewer, market=market)


def pdf_text(certificate) -> str:
    """The certificate's PDF text, whitespace removed (headings are letter-spaced)."""
    with certificate.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return re.sub(r"\s", "", "".join(page.extract_text() for page in reader.pages))
