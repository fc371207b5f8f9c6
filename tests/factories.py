"""Factories for every model: tests build exactly the rows they talk about."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.constants import (
    ApplicantKind,
    ApprovalState,
    CaseState,
    Channel,
    HolderKind,
    IdType,
    VisitReason,
)
from cases.couriers.waybills import make_s10
from cases.models import Applicant, Approval, Case, CaseMaterial, Delivery, Visit
from cases.services.numbers import tracking_number_new
from certificates.models import Certificate
from departments.constants import ConnectorKind, ItemKind, RegistryKind, Role
from departments.identifiers import USCC_CHARSET, make_resident_id, make_uscc
from departments.models import (
    Bundle,
    BundleItem,
    CertificateType,
    Department,
    MaterialRequirement,
    MaterialType,
    Registry,
    RegistryRecord,
    ServiceItem,
    SharingAgreement,
    StaffProfile,
)

_sequence_numbers = itertools.count(1)


def department_code(n: int) -> str:
    """A, B, ... Z, AA, AB, ... (Chengdu-style)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[n % 26] if n < 26 else letters[n // 26 - 1] + letters[n % 26]


def resident_id(n: int) -> str:
    return make_resident_id(
        region="510104", birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=n), sequence=n % 1000
    )


def uscc(n: int) -> str:
    organisation_code = "".join(USCC_CHARSET[(n // 31**i) % 31] for i in range(9))[::-1]
    return make_uscc(region="510100", organisation_code=organisation_code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(settings.DEMO_PASSWORD)
    is_staff = True


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    # 702 one- and two-letter codes; a long test run wraps around and reuses them.
    code = factory.Sequence(lambda n: department_code(n % 702))
    name = factory.Sequence(lambda n: f"测试部门{n}")
    credit_code = factory.Sequence(
        lambda n: make_uscc(authority="1", kind="1", region="510100", organisation_code=f"{n:09d}")
    )


class StaffFactory(UserFactory):
    """A user with a role: ``StaffFactory(role=Role.REVIEWER, department=department)``."""

    @classmethod
    def _create(cls, model_class, *args, role=Role.CLERK, department=None, **kwargs):  # type: ignore[no-untyped-def]
        user = super()._create(model_class, *args, **kwargs)
        StaffProfile.objects.create(user=user, role=role, department=department)
        return user


class CertificateTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CertificateType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CERT{n}")
    name = factory.Sequence(lambda n: f"证照{n}")
    issuing_department = factory.SubFactory(DepartmentFactory)
    validity_days = None


class RegistryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registry
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"REG{n}")
    name = factory.Sequence(lambda n: f"共享库{n}")
    department = factory.SubFactory(DepartmentFactory)
    kind = RegistryKind.POPULATION
    connector = ConnectorKind.LOCAL


class RegistryRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistryRecord

    registry = factory.SubFactory(RegistryFactory)
    subject_id = factory.Sequence(resident_id)
    data = factory.LazyFunction(dict)


class SharingAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SharingAgreement

    consumer = factory.SubFactory(DepartmentFactory)
    registry = factory.SubFactory(RegistryFactory)
    purpose = "办理行政许可核验申请人信息"
    valid_from = dt.date(2024, 1, 1)


class MaterialTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaterialType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"MAT{n}")
    name = factory.Sequence(lambda n: f"材料{n}")


class ServiceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceItem
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ITEM{n}")
    name = factory.Sequence(lambda n: f"事项{n}")
    department = factory.SubFactory(DepartmentFactory)
    kind = ItemKind.LICENCE
    legal_basis = "《中华人民共和国行政许可法》"
    promised_working_days = 5
    fee = Decimal("0")


class MaterialRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaterialRequirement

    item = factory.SubFactory(ServiceItemFactory)
    material_type = factory.SubFactory(MaterialTypeFactory)


class BundleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bundle
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"BUNDLE{n}")
    name = factory.Sequence(lambda n: f"一件事{n}")

    @factory.post_generation
    def with_items(
        self, create: bool, extracted: list[ServiceItem] | None, **kwargs: object
    ) -> None:
        for position, item in enumerate(extracted or []):
            BundleItem.objects.create(bundle=self, item=item, position=position)


class ApplicantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Applicant
        django_get_or_create = ("id_type", "id_number")

    kind = ApplicantKind.PERSON
    id_type = IdType.RESIDENT_ID
    id_number = factory.Sequence(resident_id)
    name = factory.Sequence(lambda n: f"张{n}")
    phone = "13800138000"
    address = "四川省成都市锦江区红星路三段1号"


class OrganisationFactory(ApplicantFactory):
    kind = ApplicantKind.ORGANISATION
    id_type = IdType.USCC
    id_number = factory.Sequence(uscc)
    name = factory.Sequence(lambda n: f"成都测试餐饮有限公司{n}")


class CaseFactory(factory.django.DjangoModelFactory):
    """A case in any state: ``CaseFactory(state=CaseState.IN_REVIEW)`` (set at creation only)."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    tracking_no = factory.LazyFunction(tracking_number_new)
    applicant = factory.SubFactory(ApplicantFactory)
    channel = Channel.WINDOW
    state = CaseState.DRAFT

    @factory.post_generation
    def items(self, create: bool, extracted: list[ServiceItem] | None, **kwargs: object) -> None:
        if extracted:
            self.items.set(extracted)


class ApprovalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Approval

    case = factory.SubFactory(CaseFactory, state=CaseState.IN_REVIEW)
    item = factory.SubFactory(ServiceItemFactory)
    department = factory.LazyAttribute(lambda approval: approval.item.department)
    state = ApprovalState.PENDING
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certificate

    number = factory.Sequence(lambda n: f"TEST-{n:06d}")
    certificate_type = factory.SubFactory(CertificateTypeFactory)
    holder = factory.SubFactory(ApplicantFactory)
    holder_kind = HolderKind.PERSON
    issuing_department = factory.LazyAttribute(
        lambda cert: cert.certificate_type.issuing_department
    )
    valid_from = factory.LazyFunction(timezone.localdate)


class CaseMaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseMaterial

    case = factory.SubFactory(CaseFactory)
    material_type = factory.SubFactory(MaterialTypeFactory)


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    case = factory.SubFactory(CaseFactory, state=CaseState.IN_DELIVERY)
    courier = "EMS"
    waybill = factory.Sequence(lambda n: make_s10(service="EA", serial_number=n))
    recipient = "张三"
    phone = "13800138000"
    province = "四川省"
    city = "成都市"
    district = "锦江区"
    street_address = "红星路三段1号"


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    case = factory.SubFactory(CaseFactory)
    reason = VisitReason.INTAKE
