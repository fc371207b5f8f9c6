"""Sign-up at /me/sign-up/: name + resident ID + mobile, an SMS code to that mobile, the
real-name check against the population registry through the sharing gateway."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.constants import CaseState, VerificationOutcome
from cases.models import Applicant, Verification
from citizens.constants import SESSION_APPLICANT_KEY
from citizens.models import OneTimeCode, VerifiedPhone
from citizens.sms import sms_backend
from departments.constants import RegistryKind
from departments.models import SharingAgreement
from tests.factories import (
    ApplicantFactory,
    CaseFactory,
    DepartmentFactory,
    RegistryFactory,
    RegistryRecordFactory,
    ServiceItemFactory,
    SharingAgreementFactory,
)

from .conftest import sent_codes

PERSON_ID = "110101199003071233"
PERSON_NAME = "王小明"
PHONE = "13911112222"


@pytest.fixture
def window(db, settings):
    department = DepartmentFactory(code=settings.WINDOW_DEPARTMENT_CODE, name="成都市行政审批局")
    return department


@pytest.fixture
def population(window):
    registry = RegistryFactory(code="POPULATION", kind=RegistryKind.POPULATION)
    SharingAgreementFactory(consumer=window, registry=registry)
    RegistryRecordFactory(
        registry=registry,
        subject_id=PERSON_ID,
        data={"name": PERSON_NAME, "phone": "13000000000", "status": "正常"},
    )
    return registry


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """The page's transaction commits in production; the test's never does: run the
    callbacks (the SMS sending) when each request ends."""

    def post(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


def ask(run_on_commit, client, *, name=PERSON_NAME, id_number=PERSON_ID, phone=PHONE):
    return run_on_commit(
        client, reverse("citizens:sign_up"), {"name": name, "id_number": id_number, "phone": phone}
    )


def enter(client, code):
    return client.post(reverse("citizens:sign_up_code"), {"code": code})


def real_name_reads():
    return Verification.objects.filter(purpose="实名核验（网上注册）")


def test_sign_up_end_to_end(client, population, run_on_commit):
    response = ask(run_on_commit, client, phone="139 1111 2222")
    assert response.status_code == 302 and response.url == reverse("citizens:sign_up_code")
    [code] = sent_codes(PHONE)
    [message] = [text for _to, text in sms_backend().sent]
    assert "注册验证码" in message
    response = enter(client, code)
    assert response.status_code == 302 and response.url == reverse("citizens:me")
    applicant = Applicant.objects.get(id_number=PERSON_ID)
    assert applicant.name == PERSON_NAME and applicant.phone == PHONE
    assert client.session[SESSION_APPLICANT_KEY] == applicant.pk
    verified = VerifiedPhone.objects.get(applicant=applicant)
    assert verified.phone == PHONE
    [read] = real_name_reads()
    assert verified.verification == read
    assert read.case is None and read.outcome == VerificationOutcome.OK
    assert read.requesting_department.code == "O" and read.subject_id == PERSON_ID
    assert client.get(reverse("citizens:me")).status_code == 200
    # The person sees the read in "who read my data".
    assert "实名核验（网上注册）" in client.get(reverse("citizens:me_data_reads")).content.decode()


def test_existing_window_cases_appear_after_sign_up(client, population, run_on_commit):
    person = ApplicantFactory(id_number=PERSON_ID, name=PERSON_NAME, phone="")
    item = ServiceItemFactory(name="二孩生育登记")
    case = CaseFactory(applicant=person, state=CaseState.IN_REVIEW, items=[item])
    ask(run_on_commit, client)
    enter(client, sent_codes(PHONE)[0])
    assert Applicant.objects.filter(id_number=PERSON_ID).count() == 1
    person.refresh_from_db()
    assert person.phone == PHONE
    page = client.get(reverse("citizens:me")).content.decode()
    assert case.tracking_no in page and "二孩生育登记" in page
    # Signing in later sends the code to the verified mobile.
    client.post(reverse("citizens:sign_out"))
    run_on_commit(client, reverse("citizens:sign_in"), {"id_number": PERSON_ID})
    assert len(sent_codes(PHONE)) == 2


def test_registry_disagreeing_with_the_name_is_refused_and_writes_only_the_log(
    client, population, run_on_commit
):
    ask(run_on_commit, client, name="王小名")
    response = enter(client, sent_codes(PHONE)[0])
    assert response.status_code == 400
    page = response.content.decode()
    assert "姓名与身份证号码不一致" in page
    assert PERSON_NAME not in page  # the registered name is never revealed
    assert not Applicant.objects.exists()
    assert not VerifiedPhone.objects.exists()
    assert real_name_reads().count() == 1
    assert SESSION_APPLICANT_KEY not in client.session
    # The code is spent: the sign-up starts again.
    assert client.get(reverse("citizens:sign_up_code")).status_code == 302


def test_unknown_id_number_is_refused_in_the_same_words(client, population, run_on_commit):
    ask(run_on_commit, client, id_number="110101200001010010")
    response = enter(client, sent_codes(PHONE)[0])
    assert "姓名与身份证号码不一致" in response.content.decode()
    assert not Applicant.objects.exists()
    [read] = real_name_reads()
    assert read.outcome == VerificationOutcome.NO_MATCH


def test_a_person_the_registry_records_as_deceased_cannot_sign_up(
    client, population, run_on_commit
):
    population.records.filter(subject_id=PERSON_ID).update(
        data={"name": PERSON_NAME, "status": "注销"}
    )
    ask(run_on_commit, client)
    response = enter(client, sent_codes(PHONE)[0])
    assert "未能通过实名核验" in response.content.decode()
    assert not Applicant.objects.exists()


def test_without_a_sharing_agreement_nobody_is_accepted_or_refused(
    client, population, run_on_commit
):
    SharingAgreement.objects.update(is_active=False)
    ask(run_on_commit, client)
    response = enter(client, sent_codes(PHONE)[0])
    assert "实名核验服务暂时不可用" in response.content.decode()
    assert not Applicant.objects.exists()
    [read] = real_name_reads()
    assert read.outcome == VerificationOutcome.DENIED


def test_expired_code_is_refused(client, population, run_on_commit):
    ask(run_on_commit, client)
    OneTimeCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = enter(client, sent_codes(PHONE)[0])
    assert "验证码已过期" in response.content.decode()
    assert not Applicant.objects.exists() and not real_name_reads().exists()


def test_code_is_single_use(client, population, run_on_commit):
    ask(run_on_commit, client)
    [code] = sent_codes(PHONE)
    assert enter(client, code).status_code == 302
    client.post(reverse("citizens:sign_out"))
    session = client.session
    session["citizen_pending_sign_up"] = {
        "name": PERSON_NAME,
        "id_number": PERSON_ID,
        "phone": PHONE,
    }
    session.save()
    response = enter(client, code)
    assert "该验证码已使用过" in response.content.decode()
    assert real_name_reads().count() == 1


def test_wrong_code_counts_down_and_a_sign_in_code_does_not_work(client, population, run_on_commit):
    ApplicantFactory(id_number=PERSON_ID, name=PERSON_NAME, phone="13500000000")
    run_on_commit(client, reverse("citizens:sign_in"), {"id_number": PERSON_ID})
    [sign_in_code] = sent_codes("13500000000")
    ask(run_on_commit, client)
    [sign_up_code] = sent_codes(PHONE)
    wrong = sign_in_code if sign_in_code != sign_up_code else "000000"
    response = enter(client, wrong)
    assert "还可以再试4次" in response.content.decode()
    assert not VerifiedPhone.objects.exists() and not real_name_reads().exists()
    # The sign-up did not void the sign-in code either: they are counted apart.
    assert OneTimeCode.objects.filter(purpose="sign_in", expires_at__gt=timezone.now()).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "  ", "请输入姓名。"),
        ("name", "王" * 51, "姓名最多50个字。"),
        ("id_number", "110101199003071234", "校验"),
        ("id_number", "91510100MA61234567", "请输入18位居民身份证号码"),
        ("phone", "1391111222", "请输入11位中国大陆手机号码。"),
        ("phone", "23911112222", "请输入11位中国大陆手机号码。"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nothing_is_sent(
    client, population, run_on_commit, field, value, message
):
    data = {"name": PERSON_NAME, "id_number": PERSON_ID, "phone": PHONE, field: value}
    response = ask(run_on_commit, client, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not OneTimeCode.objects.exists() and not sent_codes(PHONE)


def test_code_page_without_a_sign_up_goes_back_and_bad_code_shape_is_explained(
    client, population, run_on_commit
):
    assert client.get(reverse("citizens:sign_up_code")).url == reverse("citizens:sign_up")
    ask(run_on_commit, client)
    response = enter(client, "12ab")
    assert response.status_code == 400 and "验证码为6位数字" in response.content.decode()
    assert OneTimeCode.objects.get().attempts == 0


def test_knowing_a_name_and_id_number_does_not_move_the_account_to_another_phone(
    client, population, run_on_commit
):
    """Name and ID number are no secret: a person with a phone on file keeps it."""
    person = ApplicantFactory(id_number=PERSON_ID, name=PERSON_NAME, phone="13500000000")
    ask(run_on_commit, client)  # a stranger's own phone, PHONE
    [code] = sent_codes(PHONE)
    response = enter(client, code)
    body = response.content.decode()
    assert "网上不能更换手机号" in body
    person.refresh_from_db()
    assert person.phone == "13500000000"
    assert not VerifiedPhone.objects.exists()
    assert (
        "citizen_applicant_id" not in client.session
        or client.session.get("citizen_applicant_id") != person.pk
    )


def test_a_person_signs_up_with_the_phone_on_file(client, population, run_on_commit):
    person = ApplicantFactory(id_number=PERSON_ID, name=PERSON_NAME, phone=PHONE)
    ask(run_on_commit, client)
    [code] = sent_codes(PHONE)
    enter(client, code)
    assert VerifiedPhone.objects.get(applicant=person).phone == PHONE
