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


# --- batch reads (issue 16.4): a lottery round's check of every applicant -------------


@pytest.fixture
def round_read(db):
    """A transport commission's round purpose and the vehicle registry it reads."""
    from sharing.models import SharingPurpose

    transport = DepartmentFactory(code="JT", name="成都市交通运输局")
    vehicles = RegistryFactory(
        code="VEHICLE",
        name="机动车登记信息库",
        department=DepartmentFactory(code="B2", name="成都市公安局交通管理局"),
    )
    purpose = SharingPurpose.objects.create(
        key="lottery:2026-6", purpose="2026年第6期小客车指标摇号资格审核", department=transport
    )
    return purpose, vehicles


def test_a_person_read_in_a_batch_sees_it_merged_in_time_order(
    owner_client, owner, owner_case, population, health, round_read
):
    import datetime as dt

    from django.utils import timezone

    from tests.batch_reads import batch_read_logged

    purpose, vehicles = round_read
    now = timezone.now()
    older = Verification.objects.create(
        registry=population,
        subject_id=OWNER_ID,
        applicant=owner,
        case=owner_case,
        purpose="办理二孩生育登记核验户籍",
        requesting_department=health,
        outcome=VerificationOutcome.OK,
        request_sha256="a" * 64,
        created_at=now - dt.timedelta(days=2),
    )
    chunk = batch_read_logged(
        purpose=purpose,
        registry=vehicles,
        subject_ids=[OWNER_ID, OTHER_ID],
        created_at=now - dt.timedelta(days=1),
    )
    newer = Verification.objects.create(
        registry=population,
        subject_id=OWNER_ID,
        applicant=owner,
        purpose="窗口预填申请表",
        requesting_department=health,
        outcome=VerificationOutcome.OK,
        request_sha256="b" * 64,
        created_at=now,
    )
    mine = chunk.subject_rows.get(subject_id=OWNER_ID)
    theirs = chunk.subject_rows.get(subject_id=OTHER_ID)

    response = owner_client.get(reverse("citizens:me_data_reads"))
    html = response.content.decode()
    assert [(read.source, read.pk) for read in response.context["page"]] == [
        ("case", newer.pk),
        ("batch", mine.pk),
        ("case", older.pk),
    ]
    assert f'data-batch-read="{mine.pk}"' in html
    assert f'data-batch-read="{theirs.pk}"' not in html
    for shown in ("成都市交通运输局", "机动车登记信息库", "成都市公安局交通管理局"):
        assert shown in html
    assert "2026年第6期小客车指标摇号资格审核" in html and "批量核验" in html
    assert timezone.localtime(mine.created_at).strftime("%Y-%m-%d %H:%M") in html


def test_a_person_not_in_the_batch_sees_none_of_it(
    client, stranger, round_read, population, health
):
    from tests.batch_reads import batch_read_logged

    from .conftest import sign_in_as

    purpose, vehicles = round_read
    batch_read_logged(purpose=purpose, registry=vehicles, subject_ids=[OWNER_ID])
    sign_in_as(client, stranger)
    response = client.get(reverse("citizens:me_data_reads"))
    assert list(response.context["page"]) == []
    html = response.content.decode()
    assert "data-batch-read" not in html and "小客车指标摇号" not in html


def test_both_kinds_are_paged_together_in_a_fixed_number_of_queries(
    owner_client, owner, population, health, round_read, django_assert_max_num_queries
):
    import datetime as dt

    from django.utils import timezone

    from sharing.models import SharingPurpose
    from tests.batch_reads import batch_read_logged

    purpose, vehicles = round_read
    start = timezone.now() - dt.timedelta(days=100)
    url = reverse("citizens:me_data_reads")

    def add(n):
        # Interleaved in time: a read for a case, then a batch read, and so on.
        Verification.objects.create(
            registry=population,
            subject_id=OWNER_ID,
            applicant=owner,
            purpose=f"核验户籍{n}",
            requesting_department=health,
            outcome=VerificationOutcome.OK,
            request_sha256="c" * 64,
            created_at=start + dt.timedelta(hours=2 * n),
        )
        round_purpose = SharingPurpose.objects.create(
            key=f"lottery:{n}", purpose=f"第{n}期摇号资格审核", department=purpose.department
        )
        batch_read_logged(
            purpose=round_purpose,
            registry=vehicles,
            subject_ids=[OWNER_ID],
            created_at=start + dt.timedelta(hours=2 * n + 1),
        )

    for n in range(2):
        add(n)
    owner_client.get(url)
    with django_assert_max_num_queries(10) as few:
        owner_client.get(url)
    for n in range(2, 30):
        add(n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = owner_client.get(url)
    second = owner_client.get(url + "?page=2")
    reads = list(first.context["page"]) + list(second.context["page"])
    assert len(first.context["page"]) == 50 and len(reads) == 60
    times = [read.at for read in reads]
    assert times == sorted(times, reverse=True)
    assert {read.source for read in reads[:2]} == {"case", "batch"}
    assert len({(read.source, read.pk) for read in reads}) == 60
