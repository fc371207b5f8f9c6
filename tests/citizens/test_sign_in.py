"""Signing in to /me/: ID number + a six-digit code sent by SMS to the registered phone."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from citizens.constants import SESSION_APPLICANT_KEY
from citizens.exceptions import SendTooOftenError, SignInError
from citizens.models import OneTimeCode
from citizens.services.sign_in import (
    one_time_code_deliver,
    one_time_code_request,
    one_time_code_verify,
)
from citizens.sms import HttpSmsBackend, SmsUnavailableError, sms_backend

from .conftest import OTHER_ID, OWNER_ID, sent_codes

UNREGISTERED_ID = "110101200001010010"


@pytest.fixture(autouse=True)
def _run_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    """Codes are sent after the request's transaction commits; the test's own
    transaction never commits, so run the callbacks as each service call ends."""
    import citizens.services.sign_in as sign_in

    real_request = sign_in.one_time_code_request

    def request_and_commit(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return real_request(**kwargs)

    monkeypatch.setattr(sign_in, "one_time_code_request", request_and_commit)
    import citizens.views.me as views

    monkeypatch.setattr(views, "one_time_code_request", request_and_commit)
    globals()["one_time_code_request"] = request_and_commit
    yield
    globals()["one_time_code_request"] = real_request


def request_code(client, id_number):
    return client.post(reverse("citizens:sign_in"), {"id_number": id_number})


def enter_code(client, code):
    return client.post(reverse("citizens:sign_in_code"), {"code": code})


def test_code_is_six_digits_sent_to_the_registered_phone_and_stored_hashed(db, owner):
    one_time_code_request(id_number=OWNER_ID)
    [code] = sent_codes(owner.phone)
    assert len(code) == 6 and code.isdigit()
    row = OneTimeCode.objects.get()
    assert row.applicant == owner
    assert code not in (row.code_hash, row.salt, row.subject_hash)
    assert OWNER_ID not in row.subject_hash
    assert row.expires_at - row.created_at == dt.timedelta(minutes=5)
    assert row.sent_at is not None


def test_sign_in_through_the_pages(client, owner):
    response = request_code(client, OWNER_ID.lower()[:-1] + OWNER_ID[-1])
    assert response.status_code == 302
    assert response.url == reverse("citizens:sign_in_code")
    [code] = sent_codes(owner.phone)
    response = enter_code(client, code)
    assert response.status_code == 302 and response.url == reverse("citizens:me")
    assert client.session[SESSION_APPLICANT_KEY] == owner.pk
    page = client.get(reverse("citizens:me"))
    assert page.status_code == 200
    assert "1101**********1233" in page.content.decode()


def test_the_citizen_session_is_not_a_django_user(client, owner):
    request_code(client, OWNER_ID)
    enter_code(client, sent_codes(owner.phone)[0])
    assert get_user_model().objects.count() == 0
    assert "_auth_user_id" not in client.session
    # Staff doors stay shut: the admin asks for a staff login, the staff API for a token.
    assert client.get(reverse("admin:index")).status_code == 302
    assert client.get("/api/v1/approvals/").status_code in (401, 403)


def test_an_expired_code_does_not_sign_in(db, owner):
    one_time_code_request(id_number=OWNER_ID)
    [code] = sent_codes(owner.phone)
    # Five minutes and a second later.
    OneTimeCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(SignInError, match="验证码已过期，请重新获取。"):
        one_time_code_verify(id_number=OWNER_ID, code=code)


def test_a_code_signs_in_once(db, owner):
    one_time_code_request(id_number=OWNER_ID)
    [code] = sent_codes(owner.phone)
    assert one_time_code_verify(id_number=OWNER_ID, code=code) == owner
    with pytest.raises(SignInError, match="该验证码已使用过，请重新获取。"):
        one_time_code_verify(id_number=OWNER_ID, code=code)


def test_five_wrong_attempts_void_the_code(db, owner):
    one_time_code_request(id_number=OWNER_ID)
    [code] = sent_codes(owner.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for remaining in (4, 3, 2, 1):
        with pytest.raises(SignInError, match=f"还可以再试{remaining}次"):
            one_time_code_verify(id_number=OWNER_ID, code=wrong)
    with pytest.raises(SignInError, match="错误次数过多，已作废"):
        one_time_code_verify(id_number=OWNER_ID, code=wrong)
    # Even the right code is refused now.
    with pytest.raises(SignInError, match="错误次数过多，已作废"):
        one_time_code_verify(id_number=OWNER_ID, code=code)
    assert OneTimeCode.objects.get().attempts == 5


def test_a_new_code_replaces_the_previous_one(db, owner, settings):
    one_time_code_request(id_number=OWNER_ID)
    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    one_time_code_request(id_number=OWNER_ID)
    first, second = sent_codes(owner.phone)
    if first != second:
        with pytest.raises(SignInError):
            one_time_code_verify(id_number=OWNER_ID, code=first)
    assert one_time_code_verify(id_number=OWNER_ID, code=second) == owner


def test_sending_is_rate_limited_per_id_number(db, owner):
    one_time_code_request(id_number=OWNER_ID)
    with pytest.raises(SendTooOftenError, match="秒后再重新获取"):
        one_time_code_request(id_number=OWNER_ID)
    for _ in range(4):
        OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=10))
        one_time_code_request(id_number=OWNER_ID)
    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=10))
    with pytest.raises(SendTooOftenError, match="获取验证码次数过多，请一小时后再试。"):
        one_time_code_request(id_number=OWNER_ID)
    assert len(sent_codes(owner.phone)) == 5


def test_sending_is_rate_limited_per_client_address(client, owner, stranger, settings):
    settings.SIGN_IN_REQUEST_LIMIT = 2
    assert request_code(client, OWNER_ID).status_code == 302
    assert request_code(client, OTHER_ID).status_code == 302
    response = request_code(client, UNREGISTERED_ID)
    assert response.status_code == 429
    assert OneTimeCode.objects.count() == 2


def test_an_unknown_id_number_gets_the_same_answer_as_a_known_one(client, owner):
    known = request_code(client, OWNER_ID)
    known_page = client.get(known.url)
    client.cookies.clear()
    unknown = request_code(client, UNREGISTERED_ID)
    unknown_page = client.get(unknown.url)
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    message = "如该证件号码已登记手机号，验证码已发送到登记的手机，5分钟内有效。"
    assert message in known_page.content.decode() and message in unknown_page.content.decode()
    # Behind the answer: a code row either way, an SMS only for the registered one.
    assert OneTimeCode.objects.count() == 2
    assert OneTimeCode.objects.filter(applicant__isnull=True).count() == 1
    assert len(sms_backend().sent) == 1
    # Typing codes for the unknown number answers like a wrong code for a known one.
    with pytest.raises(SignInError) as unknown_error:
        one_time_code_verify(id_number=UNREGISTERED_ID, code="123456")
    code = sent_codes(owner.phone)[0]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(SignInError) as known_error:
        one_time_code_verify(id_number=OWNER_ID, code=wrong)
    assert str(unknown_error.value) == str(known_error.value) == "验证码不正确，还可以再试4次。"
    # And the resend limit holds for both alike.
    with pytest.raises(SendTooOftenError):
        one_time_code_request(id_number=UNREGISTERED_ID)


def test_an_invalid_id_number_is_explained_and_changes_nothing(client, db):
    response = request_code(client, "110101199003071234")
    assert response.status_code == 200
    assert "校验码错误：最后一位应为 3，而不是 4" in response.content.decode()
    assert OneTimeCode.objects.count() == 0


def test_the_code_must_be_six_digits_without_using_a_try(db, owner):
    one_time_code_request(id_number=OWNER_ID)
    with pytest.raises(SignInError, match="验证码为6位数字。"):
        one_time_code_verify(id_number=OWNER_ID, code="12ab")
    assert OneTimeCode.objects.get().attempts == 0


def test_wrong_codes_from_one_address_are_throttled(client, owner, settings):
    settings.SIGN_IN_FAILURE_LIMIT = 2
    request_code(client, OWNER_ID)
    code = sent_codes(owner.phone)[0]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert enter_code(client, wrong).status_code == 200
    assert enter_code(client, wrong).status_code == 200
    assert enter_code(client, code).status_code == 429
    assert SESSION_APPLICANT_KEY not in client.session


def test_idle_sessions_end(owner_client, owner):
    from citizens.constants import CITIZEN_SESSION_IDLE_SECONDS, SESSION_SEEN_KEY

    session = owner_client.session
    session[SESSION_SEEN_KEY] -= CITIZEN_SESSION_IDLE_SECONDS + 1
    session.save()
    response = owner_client.get(reverse("citizens:me"))
    assert response.status_code == 302 and response.url == reverse("citizens:sign_in")


def test_signing_out_ends_the_citizen_session(owner_client):
    assert owner_client.get(reverse("citizens:me")).status_code == 200
    owner_client.post(reverse("citizens:sign_out"))
    assert owner_client.get(reverse("citizens:me")).status_code == 302


# --- the HTTP SMS backend against a real local server --------------------------------


class SmsGateway:
    def __init__(self, status: int = 200) -> None:
        self.received: list[dict] = []
        self.status = status
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gateway.received.append({"headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_http_backend_posts_phone_and_message_with_the_token():
    with SmsGateway() as gateway:
        HttpSmsBackend(endpoint=gateway.url, token="s3cret").send(
            phone="13912345678", message="【一窗通办】您的登录验证码为123456"
        )
    [call] = gateway.received
    assert call["body"] == {"phone": "13912345678", "message": "【一窗通办】您的登录验证码为123456"}
    assert call["headers"]["Authorization"] == "Bearer s3cret"


def test_http_backend_raises_on_an_error_answer_and_on_no_server():
    with SmsGateway(status=503) as gateway, pytest.raises(SmsUnavailableError, match="503"):
        HttpSmsBackend(endpoint=gateway.url).send(phone="13912345678", message="x")
    url = gateway.url  # the server is closed now
    with pytest.raises(SmsUnavailableError, match="not reachable"):
        HttpSmsBackend(endpoint=url, timeout=1).send(phone="13912345678", message="x")


def test_sign_in_code_goes_through_the_configured_http_gateway(db, owner, settings):
    with SmsGateway() as gateway:
        settings.SMS_BACKEND = "http"
        settings.SMS_HTTP_ENDPOINT = gateway.url
        one_time_code_request(id_number=OWNER_ID)
    [call] = gateway.received
    assert call["body"]["phone"] == owner.phone
    code = call["body"]["message"].split("验证码为")[1][:6]
    assert one_time_code_verify(id_number=OWNER_ID, code=code) == owner


def test_a_failed_gateway_leaves_the_code_unsent_and_the_answer_unchanged(client, owner, settings):
    with SmsGateway(status=500) as gateway:
        settings.SMS_BACKEND = "http"
        settings.SMS_HTTP_ENDPOINT = gateway.url
        response = request_code(client, OWNER_ID)
    assert response.status_code == 302
    assert OneTimeCode.objects.get().sent_at is None


def test_delivering_twice_sends_once(db, owner):
    row = one_time_code_request(id_number=OWNER_ID)
    assert one_time_code_deliver(code_id=row.pk, plain_code="000000") is False
    assert len(sent_codes(owner.phone)) == 1


def test_old_codes_go_in_the_nightly_retention_run_and_recent_ones_stay(db, owner):
    """One path deletes codes: the retention run, a day after they were made by default."""
    from privacy.services.runs import retention_apply

    one_time_code_request(id_number=OWNER_ID)
    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    one_time_code_request(id_number=OWNER_ID)
    assert retention_apply().counts["sign_in_codes"] == 1
    assert retention_apply().counts["sign_in_codes"] == 0
    assert OneTimeCode.objects.count() == 1
