"""The second factor: who must use it, the sign-in with a code or a recovery code, the
forced set-up, and the admin's login going through it."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin_site import StaffAdminSite
from accounts.policy import SECOND_FACTOR_ROLES, second_factor_required
from accounts.services import recovery_codes_issue
from departments.constants import Role
from tests.factories import StaffFactory, UserFactory
from tests.sign_in import (
    post_code,
    post_password,
    post_recovery_code,
    sign_in,
    totp_code,
    totp_device,
)

pytestmark = pytest.mark.django_db

PASSWORD = settings.DEMO_PASSWORD
SETUP_STEP_FIELD = "setup_view-current_step"


def setup_url(next_url: str) -> str:
    return f"{reverse('two_factor:setup')}?next={next_url}"


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def lands_on(client, page: str) -> str:
    """Where the browser ends up when it opens ``page`` (following the redirects)."""
    response = client.get(page, follow=True)
    assert response.status_code == 200, page
    return response.redirect_chain[-1][0] if response.redirect_chain else page


# --- who must use it ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "is_superuser", "required"),
    [
        (Role.REVIEWER, False, True),
        (Role.SUPERVISOR, False, True),
        (Role.CLERK, True, True),  # superusers always
        (Role.CLERK, False, False),
        (Role.AGENT, False, False),
        (Role.DEPARTMENT_SYSTEM, False, False),  # API tokens, never a code
    ],
)
def test_who_must_use_a_second_factor(department, role, is_superuser, required):
    user = StaffFactory(role=role, department=department, is_superuser=is_superuser)
    assert second_factor_required(user) is required


@override_settings(STAFF_2FA_CLERKS=True)
@pytest.mark.parametrize("role", [Role.CLERK, Role.AGENT])
def test_clerks_and_village_agents_must_when_the_setting_says_so(department, role):
    assert second_factor_required(StaffFactory(role=role)) is True
    system = StaffFactory(role=Role.DEPARTMENT_SYSTEM, department=department)
    assert second_factor_required(system) is False


def test_the_rule_is_one_set_of_roles():
    # Reviewers, supervisors and lottery officers (superusers are asked by their flag).
    assert frozenset({Role.REVIEWER, Role.SUPERVISOR, Role.LOTTERY_OFFICER}) == SECOND_FACTOR_ROLES


def test_a_user_without_a_staff_role_is_not_asked():
    assert second_factor_required(UserFactory()) is False


@override_settings(DEBUG=True, STAFF_2FA_REQUIRED=False)
def test_in_development_a_reviewer_is_not_forced(client, reviewer):
    client.force_login(reviewer)
    assert client.get("/admin/").status_code == 200


@override_settings(DEBUG=True, STAFF_2FA_REQUIRED=True)
def test_in_development_with_staff_2fa_required_a_reviewer_is_forced(client, reviewer):
    client.force_login(reviewer)
    assert lands_on(client, "/admin/") == setup_url("/admin/")


def test_staff_2fa_required_1_in_the_environment_turns_it_on_in_development():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "onewindow.settings.dev",
        "DEBUG": "true",
        "STAFF_2FA_REQUIRED": "1",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "from accounts.policy import second_factor_enforced; "
            "print(settings.DEBUG, second_factor_enforced())",
        ],
        cwd=Path(settings.BASE_DIR),
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split()[-2:] == ["True", "True"]  # DEBUG on, and enforced


# --- signing in with password and code ------------------------------------------------------


def test_a_reviewer_signs_in_with_the_password_then_the_current_code(client, reviewer):
    device = totp_device(reviewer)
    response = post_password(client, reviewer.username, PASSWORD)
    assert response.status_code == 200  # the code step
    assert 'name="token-otp_token"' in response.content.decode()
    assert "动态验证码" in response.content.decode()
    assert not is_signed_in(client)
    # The password alone opens nothing.
    assert client.get("/admin/").status_code == 302

    response = post_code(client, totp_code(device))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_in_chinese(client, reviewer):
    device = totp_device(reviewer)
    post_password(client, reviewer.username, PASSWORD)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = post_code(client, wrong)
    assert response.status_code == 200
    assert "验证码不正确或已使用过" in response.content.decode()
    assert not is_signed_in(client)


def test_a_reviewer_without_an_authenticator_sets_one_up_before_anything_else(client, reviewer):
    # Right after the password: the set-up.
    response = post_password(client, reviewer.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == setup_url("/admin/")
    # Nothing else opens before it is done.
    for page in ("/admin/", "/admin/cases/case/", "/window/", "/supervision/"):
        assert lands_on(client, page) == setup_url(page), page
    assert client.get("/api/v1/approvals/").status_code in (401, 403)

    # The set-up: an introduction, then the QR code and its secret, then the first code.
    url = setup_url("/admin/")
    page = client.get(url)
    assert page.status_code == 200 and "设置双重认证" in page.content.decode()
    page = client.post(url, {SETUP_STEP_FIELD: "welcome"})
    assert 'id="totp-qr"' in page.content.decode()
    secret = page.context["secret_key"]
    assert client.get(reverse("two_factor:qr")).status_code == 200
    assert "issuer=OneWindow" in page.context["otpauth_url"]
    code = f"{totp(base64.b32decode(secret)):06d}"
    done = client.post(url, {SETUP_STEP_FIELD: "generator", "generator-token": code})

    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    html = done.content.decode()
    assert all(code in html for code in codes)
    assert "只显示这一次" in html
    assert TOTPDevice.objects.get(user=reviewer).confirmed
    assert client.get("/admin/").status_code == 200

    # Shown once: the recovery-code page counts them, it does not show them again.
    later = client.get(reverse("two_factor:backup_tokens")).content.decode()
    assert "10 个未使用的恢复码" in later
    assert not any(code in later for code in codes)


def test_a_wrong_first_code_does_not_set_up_the_authenticator(client, reviewer):
    client.force_login(reviewer)
    url = setup_url("/admin/")
    client.post(url, {SETUP_STEP_FIELD: "welcome"})
    page = client.post(url, {SETUP_STEP_FIELD: "generator", "generator-token": "000000"})
    assert "验证码不正确" in page.content.decode()
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert client.get("/admin/").status_code == 302


def test_a_recovery_code_signs_in_once(client, reviewer):
    totp_device(reviewer)
    first, second, *_rest = recovery_codes_issue(user=reviewer)

    post_password(client, reviewer.username, PASSWORD)
    response = post_recovery_code(client, first)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert not StaticToken.objects.filter(token=first).exists()

    client.post(reverse("admin:logout"))
    post_password(client, reviewer.username, PASSWORD)
    again = post_recovery_code(client, first)
    assert again.status_code == 200 and "验证码不正确或已使用过" in again.content.decode()
    assert not is_signed_in(client)
    # After a wrong code django-otp makes the device wait a moment; not this test's subject.
    reviewer.staticdevice_set.get().throttle_reset()
    assert post_recovery_code(client, second).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_new_recovery_codes_replace_the_old_ones_and_are_shown_once(client, reviewer):
    old = recovery_codes_issue(user=reviewer)
    sign_in(client, reviewer)
    page = client.post(reverse("two_factor:backup_tokens"))
    new = page.context["codes"]
    assert all(code in page.content.decode() for code in new)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
    assert not set(old) & set(new)


def test_a_clerk_signs_in_with_the_password_alone_by_default(client, clerk):
    response = post_password(client, clerk.username, PASSWORD, next_url="/window/")
    assert response["Location"] == "/window/"
    assert client.get("/window/").status_code == 200


@override_settings(STAFF_2FA_CLERKS=True)
def test_with_staff_2fa_clerks_a_clerk_must_set_one_up(client, clerk):
    response = post_password(client, clerk.username, PASSWORD, next_url="/window/")
    assert response["Location"] == setup_url("/window/")
    assert lands_on(client, "/window/") == setup_url("/window/")


def test_the_api_sees_nobody_in_a_session_without_the_second_factor(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/api/v1/approvals/")
    assert response.status_code in (401, 403)
    assert response.json()["detail"]


def test_a_session_without_the_code_is_sent_back_to_the_sign_in(client, reviewer):
    device = totp_device(reviewer)
    client.force_login(reviewer)  # e.g. a session from before the second factor
    response = client.get("/window/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('two_factor:login')}?next=/window/"
    assert lands_on(client, "/admin/") == f"{reverse('two_factor:login')}?next=/admin/"
    # There: password, then the code.
    post_password(client, reviewer.username, PASSWORD)
    assert post_code(client, totp_code(device)).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/window/").status_code == 403  # signed in: a reviewer is no clerk


# --- the admin -------------------------------------------------------------------------------


def test_the_admin_login_page_sends_to_the_two_factor_sign_in(client):
    response = client.get("/admin/login/", {"next": "/admin/cases/case/"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('two_factor:login')}?next=/admin/cases/case/"
    elsewhere = client.get("/admin/login/", {"next": "https://evil.example/"})
    assert elsewhere["Location"] == f"{reverse('two_factor:login')}?next=/admin/"


def test_the_admin_site_itself_refuses_an_unverified_reviewer(reviewer):
    request = RequestFactory().get("/admin/")
    request.user = reviewer
    reviewer.is_verified = lambda: False
    assert StaffAdminSite().has_permission(request) is False
    reviewer.is_verified = lambda: True
    assert StaffAdminSite().has_permission(request) is True


def test_the_admin_is_still_the_site_every_model_registers_with():
    from django.contrib import admin

    from cases.models import Case

    assert isinstance(admin.site, StaffAdminSite)
    assert admin.site.is_registered(Case)
