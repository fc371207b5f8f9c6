# ruff: noqa: F811 (the sign-up fixtures are imported from test_sign_up)
"""Every way into sign-up is limited per mobile number, per ID number and per address."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Applicant
from citizens.models import OneTimeCode
from tests.factories import resident_id

from .conftest import sent_codes
from .test_sign_up import (  # noqa: F401
    PERSON_ID,
    PERSON_NAME,
    PHONE,
    ask,
    enter,
    population,
    real_name_reads,
    run_on_commit,
    window,
)

pytestmark = pytest.mark.usefixtures("population")


def test_one_code_a_minute_per_mobile_number_whatever_the_id(client, run_on_commit):
    assert ask(run_on_commit, client).status_code == 302
    response = ask(run_on_commit, client, id_number=resident_id(7))
    assert response.status_code == 400
    assert "验证码已发送到该手机号" in response.content.decode()
    assert OneTimeCode.objects.count() == 1 and len(sent_codes(PHONE)) == 1


def test_five_codes_an_hour_per_mobile_number(client, run_on_commit):
    for n in range(5):
        assert ask(run_on_commit, client, id_number=resident_id(n)).status_code == 302
        # Past the minute between codes (the hourly count still holds every row).
        OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    response = ask(run_on_commit, client, id_number=resident_id(9))
    assert "该手机号获取验证码次数过多" in response.content.decode()
    assert OneTimeCode.objects.count() == 5


def test_one_code_a_minute_per_id_number_whatever_the_phone(client, run_on_commit):
    assert ask(run_on_commit, client).status_code == 302
    response = ask(run_on_commit, client, phone="13755556666")
    assert "验证码已发送，请" in response.content.decode()
    assert not sent_codes("13755556666")


def test_code_requests_per_address(client, run_on_commit, settings):
    settings.SIGN_UP_REQUEST_LIMIT = 2
    for n in range(2):
        ask(run_on_commit, client, id_number=resident_id(n), phone=f"1390000000{n}")
    response = ask(run_on_commit, client, id_number=resident_id(5), phone="13900000005")
    assert response.status_code == 429
    assert OneTimeCode.objects.count() == 2


def test_wrong_codes_per_address(client, run_on_commit, settings):
    settings.SIGN_UP_FAILURE_LIMIT = 2
    ask(run_on_commit, client)
    [code] = sent_codes(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    enter(client, wrong)
    enter(client, wrong)
    # Blocked before the code is even looked at: the right code does not help now.
    response = enter(client, code)
    assert response.status_code == 429
    assert not Applicant.objects.exists() and not real_name_reads().exists()


def test_wrong_codes_and_refusals_per_id_number_from_any_address(client, run_on_commit, settings):
    settings.SIGN_UP_SUBJECT_FAILURE_LIMIT = 1
    ask(run_on_commit, client, name="王小名")
    enter(client, sent_codes(PHONE)[0])  # refused by the registry: one failure for the ID
    other = client.__class__(REMOTE_ADDR="10.9.9.9")
    response = ask(run_on_commit, other, phone="13755556666")
    assert response.status_code == 429
    assert not sent_codes("13755556666")


def test_wrong_codes_per_mobile_number(client, run_on_commit, settings):
    settings.SIGN_UP_PHONE_FAILURE_LIMIT = 1
    ask(run_on_commit, client)
    [code] = sent_codes(PHONE)
    enter(client, "000000" if code != "000000" else "111111")
    other = client.__class__(REMOTE_ADDR="10.9.9.8")
    response = ask(run_on_commit, other, id_number=resident_id(3))
    assert response.status_code == 429


def test_after_the_limits_a_proper_sign_up_still_works_elsewhere(client, run_on_commit):
    """The limits are per key: someone else's sign-up is not slowed down."""
    ask(run_on_commit, client)
    enter(client, sent_codes(PHONE)[0])
    assert Applicant.objects.get().name == PERSON_NAME
    assert Applicant.objects.get().id_number == PERSON_ID
    assert client.get(reverse("citizens:me")).status_code == 200
