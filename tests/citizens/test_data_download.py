"""Download my data from /me/: one UTF-8 JSON file with the applicant's own data only,
built in a fixed number of queries however many cases they have."""

from __future__ import annotations

import hashlib
import json

from django.urls import reverse

from cases.constants import CaseState, EventKind, MaterialStatus, VerificationOutcome
from cases.models import CaseEvent, Verification
from tests.factories import (
    ApprovalFactory,
    CaseFactory,
    CaseMaterialFactory,
    CertificateFactory,
    DeliveryFactory,
    DepartmentFactory,
    MaterialTypeFactory,
    RegistryFactory,
)

from .conftest import OTHER_ID, OWNER_ID, OWNER_NAME

URL = reverse("privacy:me_data_download")


def _case_with_everything(applicant, item, n):
    case = CaseFactory(applicant=applicant, state=CaseState.IN_DELIVERY, items=[item])
    approval = ApprovalFactory(case=case, item=item)
    CaseEvent.objects.create(
        case=case, approval=approval, kind=EventKind.TRANSITION, name="submit", note=f"已提交{n}"
    )
    CaseEvent.objects.create(
        case=case, kind=EventKind.TRANSITION, name="accept", note=f"内部备注{n}", is_public=False
    )
    CaseMaterialFactory(
        case=case,
        material_type=MaterialTypeFactory(code=f"M{n}{applicant.pk}", name="租赁合同"),
        status=MaterialStatus.UPLOADED,
        sha256="ab" * 32,
        size=1234,
        original_name=f"租赁合同{n}.pdf",
    )
    DeliveryFactory(case=case, recipient=applicant.name)
    CertificateFactory(holder=applicant, case=case, number=f"CERT-{applicant.pk}-{n}")
    Verification.objects.create(
        registry=RegistryFactory(),
        subject_id=applicant.id_number,
        applicant=applicant,
        case=case,
        purpose=f"办理二孩生育登记核验户籍{n}",
        requesting_department=DepartmentFactory(),
        outcome=VerificationOutcome.OK,
        request_sha256=hashlib.sha256(applicant.id_number.encode()).hexdigest(),
    )
    return case


def _download(client):
    response = client.get(URL)
    assert response.status_code == 200
    return response, json.loads(response.content.decode("utf-8"))


def test_the_download_holds_my_data_in_chinese_as_an_attachment(
    owner_client, owner, item, stranger
):
    case = _case_with_everything(owner, item, 1)
    _case_with_everything(stranger, item, 9)
    response, data = _download(owner_client)

    assert response["Content-Disposition"].startswith('attachment; filename="onewindow-my-data-')
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Cache-Control"] == "no-store, private"
    assert OWNER_NAME.encode("utf-8") in response.content  # not \\u escapes
    assert [a["id_number"] for a in data["applicants"]] == [OWNER_ID]
    [mine] = data["cases"]
    assert mine["tracking_no"] == case.tracking_no and mine["state"] == "IN_DELIVERY"
    assert [i["code"] for i in mine["items"]] == [item.code]
    assert [e["note"] for e in mine["events"]] == ["已提交1"]  # public events only
    assert mine["materials"][0]["original_name"] == "租赁合同1.pdf"
    assert mine["materials"][0]["sha256"] == "ab" * 32 and "file" not in mine["materials"][0]
    assert mine["deliveries"][0]["recipient"] == OWNER_NAME
    assert [c["number"] for c in data["certificates"]] == [f"CERT-{owner.pk}-1"]
    assert set(data["certificates"][0]) >= {"type", "valid_from", "valid_until", "licence_id"}
    assert [r["purpose"] for r in data["data_access_log"]] == ["办理二孩生育登记核验户籍1"]


def test_another_persons_data_never_appears(owner_client, owner, item, stranger):
    _case_with_everything(owner, item, 1)
    _case_with_everything(stranger, item, 9)
    response, _data = _download(owner_client)
    text = response.content.decode("utf-8")
    for foreign in (
        OTHER_ID,
        "李四",
        "已提交9",
        "内部备注",
        f"CERT-{stranger.pk}-9",
        "核验户籍9",
    ):
        assert foreign not in text


def test_queries_do_not_grow_with_the_cases(
    owner_client, owner, item, django_assert_max_num_queries
):
    _case_with_everything(owner, item, 1)
    with django_assert_max_num_queries(30) as one:
        _download(owner_client)
    for n in range(2, 7):
        _case_with_everything(owner, item, n)
    with django_assert_max_num_queries(len(one.captured_queries)):
        _response, data = _download(owner_client)
    assert len(data["cases"]) == 6 and len(data["certificates"]) == 6


def test_signed_out_visitors_go_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.url == reverse("citizens:sign_in")


def test_the_me_pages_link_to_the_download(owner_client, owner_case):
    for name in ("citizens:me", "citizens:me_data_reads", "citizens:me_certificates"):
        assert URL in owner_client.get(reverse(name)).content.decode()


def test_the_download_holds_my_batch_reads_and_not_anyone_elses(
    owner_client, owner, stranger, item
):
    from sharing.models import SharingPurpose
    from tests.batch_reads import batch_read_logged

    transport = DepartmentFactory(code="JT", name="成都市交通运输局")
    vehicles = RegistryFactory(
        code="VEHICLE",
        name="机动车登记信息库",
        department=DepartmentFactory(code="B2", name="成都市公安局交通管理局"),
    )
    mine = SharingPurpose.objects.create(
        key="lottery:2026-6", purpose="2026年第6期小客车指标摇号资格审核", department=transport
    )
    theirs = SharingPurpose.objects.create(
        key="lottery:2026-7", purpose="2026年第7期小客车指标摇号资格审核", department=transport
    )
    batch_read_logged(purpose=mine, registry=vehicles, subject_ids=[OWNER_ID, OTHER_ID])
    batch_read_logged(purpose=theirs, registry=vehicles, subject_ids=[OTHER_ID], found=False)
    response, data = _download(owner_client)
    [read] = data["batch_data_access_log"]
    assert read["requesting_department"] == "成都市交通运输局"
    assert read["registry"] == "机动车登记信息库"
    assert read["registry_department"] == "成都市公安局交通管理局"
    assert read["purpose"] == "2026年第6期小客车指标摇号资格审核"
    assert read["record_found"] is True and read["at"]
    assert "第7期" not in response.content.decode("utf-8")


def test_the_download_holds_what_the_registries_prefilled(owner_client, owner, item):
    prefill = {
        "registry": "POPULATION",
        "applicant": {"name": OWNER_NAME, "address": "四川省成都市锦江区红星路三段1号"},
        "forms": {item.code: {"spouse_name": "王小明"}},
    }
    case = CaseFactory(applicant=owner, items=[item], registry_prefill=prefill)
    _response, data = _download(owner_client)
    [exported] = data["cases"]
    assert exported["tracking_no"] == case.tracking_no
    assert exported["registry_prefill"] == prefill
