"""``POST /api/v1/auth/token/``: an API token for username and password (and a code for
accounts that sign in with a second factor), under the sign-in lockout."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.services import recovery_codes_issue
from departments.constants import Role
from tests.factories import StaffFactory
from tests.sign_in import totp_code, totp_device

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"
PASSWORD = settings.DEMO_PASSWORD


@pytest.fixture
def api():
    return APIClient(REMOTE_ADDR="10.1.0.1")


@pytest.fixture
def system(department):
    return StaffFactory(username="system_a", role=Role.DEPARTMENT_SYSTEM, department=department)


def test_a_department_system_gets_its_token_with_username_and_password(api, system):
    response = api.post(URL, {"username": system.username, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=system).key
    # The same token the next time, and it opens the API.
    assert api.post(URL, {"username": system.username, "password": PASSWORD}).json() == {
        "token": token
    }
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert other.get("/api/v1/approvals/").status_code == 200


def test_json_bodies_work_too(api, system):
    response = api.post(URL, {"username": system.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200 and "token" in response.json()


def test_a_missing_field_is_400_and_a_wrong_password_401(api, system):
    missing = api.post(URL, {"username": system.username})
    assert missing.status_code == 400 and "password" in missing.json()
    wrong = api.post(URL, {"username": system.username, "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "用户名或密码错误。", "code": "invalid_credentials"}
    assert wrong["WWW-Authenticate"] == "Token"
    assert not Token.objects.exists()


def test_a_reviewer_needs_the_current_code(api, reviewer):
    device = totp_device(reviewer)
    without = api.post(URL, {"username": reviewer.username, "password": PASSWORD})
    assert without.status_code == 401 and without.json()["code"] == "otp_required"
    wrong = api.post(URL, {"username": reviewer.username, "password": PASSWORD, "otp": "000000"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "otp_invalid"
    device.refresh_from_db()
    device.throttle_reset()  # django-otp's wait after a wrong code is not this test's subject
    response = api.post(
        URL, {"username": reviewer.username, "password": PASSWORD, "otp": totp_code(device)}
    )
    assert response.status_code == 200 and response.json()["token"]
    assert not Token.objects.exclude(user=reviewer).exists()


def test_a_reviewer_without_an_authenticator_is_told_to_set_one_up(api, reviewer):
    response = api.post(URL, {"username": reviewer.username, "password": PASSWORD, "otp": "1"})
    assert response.status_code == 401 and response.json()["code"] == "otp_not_set_up"


def test_a_recovery_code_works_once_for_a_token(api, reviewer):
    totp_device(reviewer)
    code, *_rest = recovery_codes_issue(user=reviewer)
    data = {"username": reviewer.username, "password": PASSWORD, "otp": code.upper()}
    assert api.post(URL, data).status_code == 200
    again = api.post(URL, data)
    assert again.status_code == 401 and again.json()["code"] == "otp_invalid"


def test_after_too_many_failures_the_endpoint_answers_429_json(api, system):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert api.post(URL, {"username": system.username, "password": "nope"}).status_code == 401
    # The failure that reaches the limit is already answered as a lockout...
    assert api.post(URL, {"username": system.username, "password": "nope"}).status_code == 429
    # ... and so is the right password afterwards.
    response = api.post(URL, {"username": system.username, "password": PASSWORD})
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "locked_out"
    assert "登录失败次数过多" in response.json()["detail"]


def test_failures_on_the_sign_in_page_lock_the_api_too(system):
    from django.test import Client

    from tests.sign_in import post_password

    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_password(Client(REMOTE_ADDR="10.2.0.1"), system.username, "nope")
    response = APIClient(REMOTE_ADDR="10.3.0.1").post(
        URL, {"username": system.username, "password": PASSWORD}
    )
    assert response.status_code == 429


def test_the_schema_documents_the_endpoint_and_its_errors(client, superuser):
    from tests.sign_in import sign_in

    sign_in(client, superuser)
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"][URL]["post"]
    assert set(operation["responses"]) >= {"200", "400", "401", "429"}
    assert operation["security"] == [{}] or "security" not in operation or operation["security"]
    request_schema = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert request_schema.endswith("/TokenRequest")
