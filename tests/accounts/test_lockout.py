"""Lockout after repeated failed sign-ins (django-axes), per account and per client address,
and the unlock: by an administrator, recorded, after which the right password works."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.constants import UnlockChannel
from accounts.models import SignInUnlock
from tests.factories import StaffFactory
from tests.sign_in import post_password, sign_in

pytestmark = pytest.mark.django_db

PASSWORD = settings.DEMO_PASSWORD
LIMIT = settings.AXES_FAILURE_LIMIT


def client_at(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def fail(client: Client, username: str, times: int = LIMIT):
    response = None
    for _ in range(times):
        response = post_password(client, username, "wrong-password")
    return response


def assert_locked_out(response):
    assert response.status_code == 429
    html = response.content.decode()
    assert "登录失败次数过多" in html and "30 分钟" in html


def test_the_settings_are_five_failures_and_thirty_minutes():
    assert LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60


def test_failures_below_the_limit_only_say_the_password_is_wrong(clerk):
    response = fail(client_at("10.0.0.1"), clerk.username, LIMIT - 1)
    assert response.status_code == 200
    assert post_password(client_at("10.0.0.1"), clerk.username, PASSWORD).status_code == 302


def test_the_account_is_locked_after_the_limit_even_with_the_right_password(clerk):
    client = client_at("10.0.0.1")
    assert_locked_out(fail(client, clerk.username))
    assert_locked_out(post_password(client, clerk.username, PASSWORD))
    assert "_auth_user_id" not in client.session
    # ... from any address: the count is per account.
    assert_locked_out(post_password(client_at("10.9.9.9"), clerk.username, PASSWORD))
    # The lockout is recorded.
    assert AccessFailureLog.objects.filter(username=clerk.username, locked_out=True).exists()


def test_failures_spread_over_addresses_still_lock_the_account(clerk):
    for number in range(LIMIT):
        fail(client_at(f"10.0.1.{number + 1}"), clerk.username, 1)
    assert_locked_out(post_password(client_at("10.0.2.1"), clerk.username, PASSWORD))


def test_many_usernames_from_one_address_lock_the_address(clerk):
    attacker = client_at("203.0.113.7")
    for number in range(LIMIT):
        fail(attacker, f"guess{number}", 1)
    # Even a real account with its right password, from that address...
    assert_locked_out(post_password(attacker, clerk.username, PASSWORD))
    # ... but not from elsewhere.
    assert post_password(client_at("10.0.0.2"), clerk.username, PASSWORD).status_code == 302


def test_a_forwarded_for_header_does_not_change_the_counted_address(clerk):
    attacker = client_at("203.0.113.7")
    for number in range(LIMIT):
        post_password(
            attacker, f"guess{number}", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}"
        )
    assert_locked_out(post_password(attacker, clerk.username, PASSWORD))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_passwords_are_never_kept_with_the_failures(clerk):
    post_password(client_at("10.0.0.1"), clerk.username, "my-secret-guess")
    attempt = AccessAttempt.objects.get()
    assert "my-secret-guess" not in attempt.post_data
    assert attempt.username == clerk.username


def test_an_unlock_by_command_is_recorded_and_the_password_works_again(clerk, capsys):
    client = client_at("10.0.0.1")
    fail(client, clerk.username)
    assert_locked_out(post_password(client, clerk.username, PASSWORD))

    call_command("axes_reset_username", clerk.username)

    assert "attempts removed" in capsys.readouterr().out
    unlock = SignInUnlock.objects.get()
    assert unlock.username == clerk.username
    assert unlock.channel == UnlockChannel.COMMAND
    assert unlock.attempts_cleared >= 1
    assert "manage.py" in unlock.operator
    response = post_password(client, clerk.username, PASSWORD, next_url="/window/")
    assert response.status_code == 302 and response["Location"] == "/window/"


def test_an_address_unlocked_by_command_is_recorded(clerk):
    attacker = client_at("203.0.113.7")
    for number in range(LIMIT):
        fail(attacker, f"guess{number}", 1)
    call_command("axes_reset_ip", "203.0.113.7")
    assert SignInUnlock.objects.get().ip_address == "203.0.113.7"
    assert post_password(attacker, clerk.username, PASSWORD).status_code == 302


def test_an_unlock_in_the_admin_is_recorded_with_the_administrator(clerk, superuser):
    fail(client_at("10.0.0.1"), clerk.username)
    administrator = sign_in(client_at("10.0.0.200"), superuser)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert clerk.username in administrator.get(changelist).content.decode()

    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = administrator.post(
        changelist,
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    unlock = SignInUnlock.objects.get()
    assert (unlock.username, unlock.ip_address) == (clerk.username, "10.0.0.1")
    assert (unlock.channel, unlock.unlocked_by, unlock.operator) == (
        UnlockChannel.ADMIN,
        superuser,
        superuser.username,
    )
    # Visible to administrators, and never edited or deleted there.
    records = administrator.get(reverse("admin:accounts_signinunlock_changelist"))
    assert clerk.username in records.content.decode()
    detail = reverse("admin:accounts_signinunlock_delete", args=[unlock.pk])
    assert administrator.get(detail).status_code == 403
    assert post_password(client_at("10.0.0.1"), clerk.username, PASSWORD).status_code == 302


def test_the_failure_log_is_a_record_no_one_deletes_in_the_admin(clerk, superuser):
    fail(client_at("10.0.0.1"), clerk.username, 1)
    administrator = sign_in(Client(), superuser)
    row = AccessFailureLog.objects.get()
    delete = reverse("admin:axes_accessfailurelog_delete", args=[row.pk])
    assert administrator.get(delete).status_code == 403


def test_the_lockout_page_speaks_english_to_an_english_browser(clerk):
    client = client_at("10.0.0.1")
    fail(client, clerk.username)
    response = post_password(client, clerk.username, PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()


def test_another_account_is_not_locked_by_someone_elses_failures(clerk):
    other = StaffFactory()
    fail(client_at("10.0.0.1"), clerk.username, LIMIT - 1)
    fail(client_at("10.0.0.2"), other.username, LIMIT - 1)
    assert post_password(client_at("10.0.0.3"), other.username, PASSWORD).status_code == 302
