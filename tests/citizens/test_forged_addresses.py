"""Nobody dodges the citizens' limits: a forged X-Forwarded-For is not an address, and the
secrets are also guarded per target (the case being tracked, the ID number signing in),
so spreading the guesses over real addresses does not help either. A refused request
writes nothing."""

import itertools
import random

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from citizens.models import OneTimeCode, TrackFailure
from citizens.services.sign_in import one_time_code_subject
from citizens.throttles import SIGN_IN_SUBJECT_FAILURES

from .conftest import OWNER_ID, sent_codes

SUFFIX = OWNER_ID[-4:]
UNKNOWN_NUMBER = "260101ABCDEFGH"
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


def forged():
    """A different made-up X-Forwarded-For on every call."""
    return {"HTTP_X_FORWARDED_FOR": f"{random.randint(1, 223)}.{random.randint(0, 255)}.1.1"}


def api_get(tracking_no, suffix, **extra):
    return APIClient().get(reverse("api:track", args=[tracking_no]), {"id_suffix": suffix}, **extra)


def page_post(client, tracking_no, suffix, **extra):
    return client.post(
        reverse("citizens:track"), {"tracking_no": tracking_no, "id_suffix": suffix}, **extra
    )


def test_rotating_forwarded_for_still_gets_429_and_writes_no_rows(owner_case, settings):
    settings.TRACK_FAILURE_LIMIT = 5
    codes = [api_get(UNKNOWN_NUMBER, SUFFIX, **forged()).status_code for _ in range(40)]
    assert codes == [404] * 5 + [429] * 35
    # One count, for the one real address; the made-up ones left no trace.
    assert list(TrackFailure.objects.values_list("client", "failures")) == [("127.0.0.1", 5)]
    # The right suffix is refused too while the address is blocked.
    assert api_get(owner_case.tracking_no, SUFFIX, **forged()).status_code == 429


def test_the_page_ignores_forged_addresses_as_well(client, owner_case, settings):
    settings.TRACK_FAILURE_LIMIT = 3
    codes = [page_post(client, UNKNOWN_NUMBER, SUFFIX, **forged()).status_code for _ in range(8)]
    assert codes == [404] * 3 + [429] * 5
    assert TrackFailure.objects.count() == 1


def test_behind_a_trusted_proxy_each_real_client_is_counted_apart(owner_case, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.TRACK_FAILURE_LIMIT = 2
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for _ in range(2):
        # The client's own prefix is ignored; the proxy's appended address counts.
        assert (
            api_get(UNKNOWN_NUMBER, SUFFIX, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.1", **proxy)
        ).status_code == 404
    assert (
        api_get(UNKNOWN_NUMBER, SUFFIX, HTTP_X_FORWARDED_FOR="7.7.7.7, 203.0.113.1", **proxy)
    ).status_code == 429
    assert (
        api_get(owner_case.tracking_no, SUFFIX, HTTP_X_FORWARDED_FOR="203.0.113.2", **proxy)
    ).status_code == 200
    assert set(TrackFailure.objects.values_list("client", flat=True)) == {"203.0.113.1"}


def test_wrong_suffixes_for_one_case_from_many_addresses_rest_that_case(
    client, owner_case, stranger_case, settings
):
    settings.TRACK_CASE_FAILURE_LIMIT = 6
    for address, suffix in zip(_addresses, ["0000", "0001", "0002", "0003", "0004"], strict=False):
        assert api_get(owner_case.tracking_no, suffix, REMOTE_ADDR=address).status_code == 404
    assert (
        page_post(client, owner_case.tracking_no, "0005", REMOTE_ADDR="192.0.2.1").status_code
        == 404
    )
    assert TrackFailure.objects.get(client=f"case:{owner_case.tracking_no}").failures == 6
    # Now even the right suffix from a fresh address is refused, and says why.
    blocked = api_get(owner_case.tracking_no, SUFFIX, REMOTE_ADDR="192.0.2.200")
    assert blocked.status_code == 429
    assert "输错次数过多" in blocked.json()["detail"]
    assert blocked.headers["Retry-After"] == "86400"
    page = page_post(client, owner_case.tracking_no, SUFFIX, REMOTE_ADDR="192.0.2.201")
    assert page.status_code == 429
    assert "我的办件" in page.content.decode()
    rows = TrackFailure.objects.count()
    api_get(owner_case.tracking_no, "0009", REMOTE_ADDR="192.0.2.202")
    assert TrackFailure.objects.count() == rows  # refused: nothing written
    # Another case is not affected.
    other_suffix = stranger_case.applicant.id_number[-4:]
    assert (
        api_get(stranger_case.tracking_no, other_suffix, REMOTE_ADDR="192.0.2.203").status_code
        == 200
    )


def test_unknown_numbers_are_counted_per_address_only(owner_case):
    for number in ("260101ABCDEFGH", "260101ABCDEFGJ", "260101ABCDEFGK"):
        assert api_get(number, SUFFIX).status_code == 404
    assert list(TrackFailure.objects.values_list("client", flat=True)) == ["127.0.0.1"]


@pytest.fixture
def _commit_callbacks(django_capture_on_commit_callbacks, monkeypatch):
    import citizens.views.me as views

    real_request = views.one_time_code_request

    def request_and_commit(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return real_request(**kwargs)

    monkeypatch.setattr(views, "one_time_code_request", request_and_commit)


def test_code_requests_with_forged_addresses_are_limited_and_leave_no_rows(client, owner, settings):
    settings.SIGN_IN_REQUEST_LIMIT = 2
    ids = [OWNER_ID, "110101198501011239", "110101200001010010", "11010119900307125X"]
    codes = [
        client.post(reverse("citizens:sign_in"), {"id_number": id_number}, **forged()).status_code
        for id_number in ids
    ]
    assert codes == [302, 302, 429, 429]
    assert OneTimeCode.objects.count() == 2
    assert {row.client_ip for row in OneTimeCode.objects.all()} == {"127.0.0.1"}


@pytest.mark.usefixtures("_commit_callbacks")
def test_wrong_codes_for_one_id_number_from_many_addresses_are_stopped(client, owner, settings):
    settings.SIGN_IN_SUBJECT_FAILURE_LIMIT = 3
    settings.SIGN_IN_FAILURE_LIMIT = 100
    client.post(reverse("citizens:sign_in"), {"id_number": OWNER_ID})
    code = sent_codes(owner.phone)[0]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        response = client.post(
            reverse("citizens:sign_in_code"), {"code": wrong}, REMOTE_ADDR=address
        )
        assert response.status_code == 200
    # The right code from a fourth address: the ID number itself is resting.
    response = client.post(
        reverse("citizens:sign_in_code"), {"code": code}, REMOTE_ADDR="192.0.2.4"
    )
    assert response.status_code == 429
    assert OneTimeCode.objects.get().used_at is None
    # The count is keyed by the number's HMAC, never by the number itself.
    assert cache.get(f"citizens:sign-in-subject-failures:{OWNER_ID}") is None
    assert SIGN_IN_SUBJECT_FAILURES.is_blocked(one_time_code_subject(id_number=OWNER_ID))
