# ruff: noqa: F811 (the sign-up fixtures are imported from test_sign_up)
"""Organisations act through a person: the legal representative the legal-person
registry names, or a delegate the representative authorised (until revoked)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.constants import ApplicantKind, CaseState
from cases.models import Applicant, Verification
from citizens.constants import SESSION_APPLICANT_KEY
from citizens.models import Delegation
from departments.constants import RegistryKind
from tests.factories import (
    CaseFactory,
    RegistryFactory,
    RegistryRecordFactory,
    ServiceItemFactory,
    SharingAgreementFactory,
    resident_id,
    uscc,
)

from .conftest import sent_codes
from .test_sign_up import (  # noqa: F401 (fixtures)
    PERSON_ID,
    PERSON_NAME,
    PHONE,
    ask,
    enter,
    population,
    run_on_commit,
    window,
)

COMPANY = uscc(4242)
COMPANY_NAME = "成都好味道餐饮管理有限公司"
DELEGATE_ID = resident_id(77)
DELEGATE_NAME = "赵会计"
DELEGATE_PHONE = "13622223333"
STRANGER_ID = resident_id(88)
STRANGER_NAME = "钱路人"
STRANGER_PHONE = "13633334444"


@pytest.fixture
def legal_person(window, population):
    registry = RegistryFactory(code="LEGAL_PERSON", kind=RegistryKind.LEGAL_PERSON)
    SharingAgreementFactory(consumer=window, registry=registry)
    RegistryRecordFactory(
        registry=registry,
        subject_id=COMPANY,
        data={
            "name": COMPANY_NAME,
            "legal_representative": PERSON_NAME,
            "legal_representative_id": PERSON_ID,
            "status": "存续",
        },
    )
    for number, name in ((DELEGATE_ID, DELEGATE_NAME), (STRANGER_ID, STRANGER_NAME)):
        RegistryRecordFactory(registry=population, subject_id=number, data={"name": name})
    return registry


def signed_up(client_class, run_on_commit, *, name, id_number, phone):
    """A person signed up through the pages (SMS code, real-name check)."""
    client = client_class()
    ask(run_on_commit, client, name=name, id_number=id_number, phone=phone)
    assert enter(client, sent_codes(phone)[-1]).status_code == 302
    return client


@pytest.fixture
def representative(client, legal_person, run_on_commit):
    return signed_up(
        client.__class__, run_on_commit, name=PERSON_NAME, id_number=PERSON_ID, phone=PHONE
    )


@pytest.fixture
def delegate(client, legal_person, run_on_commit):
    return signed_up(
        client.__class__,
        run_on_commit,
        name=DELEGATE_NAME,
        id_number=DELEGATE_ID,
        phone=DELEGATE_PHONE,
    )


@pytest.fixture
def stranger(client, legal_person, run_on_commit):
    return signed_up(
        client.__class__,
        run_on_commit,
        name=STRANGER_NAME,
        id_number=STRANGER_ID,
        phone=STRANGER_PHONE,
    )


@pytest.fixture
def company_case(legal_person):
    company = Applicant.objects.create(
        kind=ApplicantKind.ORGANISATION, id_type="uscc", id_number=COMPANY, name=COMPANY_NAME
    )
    item = ServiceItemFactory(name="食品经营许可")
    return CaseFactory(applicant=company, state=CaseState.IN_REVIEW, items=[item])


def act_for(client, code=COMPANY):
    return client.post(reverse("citizens:me_act_for"), {"credit_code": code})


def grant(client, **overrides):
    data = {
        "credit_code": COMPANY,
        "delegate_name": DELEGATE_NAME,
        "delegate_id_number": DELEGATE_ID,
        "valid_until": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        **overrides,
    }
    return client.post(reverse("citizens:me_delegation_grant"), data)


def representative_reads():
    return Verification.objects.filter(purpose="法定代表人核验")


def test_the_legal_representative_acts_for_the_company(representative, company_case):
    response = act_for(representative)
    assert response.status_code == 302
    company = Applicant.objects.get(id_number=COMPANY)
    assert representative.session[SESSION_APPLICANT_KEY] == company.pk
    page = representative.get(reverse("citizens:me")).content.decode()
    assert company_case.tracking_no in page and "切换回本人" in page
    [read] = representative_reads()
    assert read.case is None and read.subject_id == COMPANY
    # Back to themselves: the company's case is not theirs.
    representative.post(reverse("citizens:me_act_as_self"))
    page = representative.get(reverse("citizens:me")).content.decode()
    assert company_case.tracking_no not in page
    assert (
        representative.get(reverse("citizens:me_case", args=[company_case.tracking_no])).status_code
        == 404
    )


def test_a_stranger_cannot_act_for_the_company(stranger, company_case):
    response = act_for(stranger)
    assert response.status_code == 400
    assert "法人库登记的法定代表人不是您" in response.content.decode()
    stranger_pk = Applicant.objects.get(id_number=STRANGER_ID).pk
    assert stranger.session[SESSION_APPLICANT_KEY] == stranger_pk
    assert company_case.tracking_no not in stranger.get(reverse("citizens:me")).content.decode()
    assert (
        stranger.get(reverse("citizens:me_case", args=[company_case.tracking_no])).status_code
        == 404
    )


def test_a_delegate_acts_after_the_grant_and_not_after_revocation(
    representative, delegate, company_case
):
    # Before the grant: refused.
    assert act_for(delegate).status_code == 400
    response = grant(representative)
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert (
        delegation.delegate.id_number == DELEGATE_ID
        and delegation.granted_by.id_number == PERSON_ID
    )
    reads_before = representative_reads().count()
    assert act_for(delegate).status_code == 302
    assert representative_reads().count() == reads_before  # a delegation needs no registry read
    assert company_case.tracking_no in delegate.get(reverse("citizens:me")).content.decode()
    # Revoked: the very next request no longer acts for the company.
    response = representative.post(reverse("citizens:me_delegation_revoke", args=[delegation.pk]))
    assert response.status_code == 302
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    page = delegate.get(reverse("citizens:me")).content.decode()
    assert company_case.tracking_no not in page
    assert (
        delegate.get(reverse("citizens:me_case", args=[company_case.tracking_no])).status_code
        == 404
    )
    assert act_for(delegate).status_code == 400


def test_an_expired_delegation_no_longer_works(representative, delegate, company_case):
    grant(representative)
    act_for(delegate)
    Delegation.objects.update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert company_case.tracking_no not in delegate.get(reverse("citizens:me")).content.decode()


def test_only_the_legal_representative_grants(stranger, delegate, company_case):
    response = grant(stranger)
    assert response.status_code == 400
    assert "法人库登记的法定代表人不是您" in response.content.decode()
    assert not Delegation.objects.exists()
    # Nor does a stranger learn whether someone has signed up: the same answer.
    response = grant(stranger, delegate_name="不存在的人")
    assert "法人库登记的法定代表人不是您" in response.content.decode()


def test_a_delegate_cannot_revoke_nor_can_a_stranger(representative, delegate, stranger):
    grant(representative)
    delegation = Delegation.objects.get()
    response = stranger.post(reverse("citizens:me_delegation_revoke", args=[delegation.pk]))
    assert response.status_code == 400 and "未找到该授权" in response.content.decode()
    delegation.refresh_from_db()
    assert delegation.revoked_at is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"credit_code": ""}, "请输入单位的统一社会信用代码"),
        ({"credit_code": "91510100MA6123456X"}, "统一社会信用代码"),
        ({"delegate_id_number": "110101199003071234"}, "校验"),
        ({"delegate_name": "赵会记"}, "未找到已实名注册的被授权人"),
        ({"delegate_id_number": STRANGER_ID, "delegate_name": STRANGER_NAME}, None),
        ({"valid_until": "2020-01-01"}, "授权有效期不能早于今天"),
        ({"valid_until": "2999-01-01"}, "授权有效期最长三年"),
        ({"valid_until": "明年"}, "请按“年-月-日”填写有效期"),
        ({"delegate_id_number": PERSON_ID, "delegate_name": PERSON_NAME}, "不能授权给自己"),
    ],
)
def test_bad_grants_are_explained_and_change_nothing(representative, delegate, overrides, message):
    response = grant(representative, **overrides)
    if message is None:
        # The stranger never signed up in this test: not a registered person.
        assert "未找到已实名注册的被授权人" in response.content.decode()
    else:
        assert message in response.content.decode()
    assert response.status_code == 400
    assert not Delegation.objects.exists()


def test_bad_credit_codes_and_unknown_companies_are_explained(representative, legal_person):
    response = act_for(representative, "")
    assert (
        response.status_code == 400 and "请输入单位的统一社会信用代码" in response.content.decode()
    )
    response = act_for(representative, "12345")
    assert response.status_code == 400 and "统一社会信用代码" in response.content.decode()
    response = act_for(representative, uscc(999))
    assert "法人库中没有该统一社会信用代码的单位" in response.content.decode()
    assert not Applicant.objects.filter(kind=ApplicantKind.ORGANISATION).exists()


def test_refusals_to_act_for_are_throttled_per_address(stranger, legal_person, settings):
    settings.ACT_FOR_FAILURE_LIMIT = 2
    act_for(stranger)
    act_for(stranger)
    reads = representative_reads().count()
    assert act_for(stranger).status_code == 429
    assert representative_reads().count() == reads


def test_the_organisations_page_lists_what_was_granted(representative, delegate):
    grant(representative)
    page = representative.get(reverse("citizens:me_organisations")).content.decode()
    assert COMPANY_NAME in page and "撤销" in page
    page = delegate.get(reverse("citizens:me_organisations")).content.decode()
    assert COMPANY_NAME in page and "切换到该单位" in page
