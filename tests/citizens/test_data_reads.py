"""Who read my data: every registry read about the applicant, never anyone else's."""

import hashlib

import pytest
from django.urls import reverse

from cases.constants import VerificationOutcome
from cases.models import Verification
from tests.factories import DepartmentFactory, RegistryFactory

from .conftest import OTHER_ID, OWNER_ID


def read(
    *,
    subject_id,
    applicant=None,
    case=None,
    purpose="办理二孩生育登记核验户籍",
    department=None,
    registry=None,
):
    return Verification.objects.create(
        registry=registry,
        subject_id=subject_id,
        applicant=applicant,
        case=case,
        purpose=purpose,
        requesting_department=department,
        outcome=VerificationOutcome.OK,
        request_sha256=hashlib.sha256(subject_id.encode()).hexdigest(),
    )


@pytest.fixture
def population(db):
    return RegistryFactory(
        code="POPULATION",
        name="人口基础信息库",
        department=DepartmentFactory(code="B", name="成都市公安局"),
    )


@pytest.fixture
def health(db):
    return DepartmentFactory(code="I", name="成都市卫生健康委员会")


def test_lists_own_reads_with_when_who_registry_purpose_case(
    owner_client, owner, owner_case, stranger, population, health
):
    mine = read(
        subject_id=OWNER_ID,
        applicant=owner,
        case=owner_case,
        department=health,
        registry=population,
    )
    # A read of my ID number before I was linked as an applicant is mine too.
    prefill = read(
        subject_id=OWNER_ID, department=health, registry=population, purpose="窗口预填申请表"
    )
    theirs = read(
        subject_id=OTHER_ID,
        applicant=stranger,
        department=health,
        registry=population,
        purpose="他人的查询事由",
    )
    html = owner_client.get(reverse("citizens:me_data_reads")).content.decode()
    assert f'data-verification="{mine.pk}"' in html
    assert f'data-verification="{prefill.pk}"' in html
    assert f'data-verification="{theirs.pk}"' not in html
    assert "他人的查询事由" not in html
    assert "成都市卫生健康委员会" in html
    assert "人口基础信息库" in html
    assert "办理二孩生育登记核验户籍" in html and "窗口预填申请表" in html
    assert owner_case.tracking_no in html
    assert "核验通过" in html


def test_reading_the_list_is_not_itself_a_data_access_event(
    owner_client, owner, population, health
):
    read(subject_id=OWNER_ID, applicant=owner, department=health, registry=population)
    owner_client.get(reverse("citizens:me_data_reads"))
    owner_client.get(reverse("citizens:me_data_reads"))
    assert Verification.objects.count() == 1


def test_the_list_costs_a_fixed_number_of_queries(
    owner_client, owner, population, health, django_assert_max_num_queries
):
    url = reverse("citizens:me_data_reads")
    for _ in range(3):
        read(subject_id=OWNER_ID, applicant=owner, department=health, registry=population)
    owner_client.get(url)
    with django_assert_max_num_queries(8) as few:
        owner_client.get(url)
    for _ in range(30):
        read(subject_id=OWNER_ID, applicant=owner, department=health, registry=population)
    with django_assert_max_num_queries(len(few.captured_queries)):
        owner_client.get(url)


def test_a_long_list_is_paged_not_cut(owner_client, owner, population, health):
    rows = [
        read(subject_id=OWNER_ID, applicant=owner, department=health, registry=population)
        for _ in range(55)
    ]
    first = owner_client.get(reverse("citizens:me_data_reads")).content.decode()
    second = owner_client.get(reverse("citizens:me_data_reads") + "?page=2").content.decode()
    shown = {row.pk for row in rows if f'data-verification="{row.pk}"' in first + second}
    assert shown == {row.pk for row in rows}
