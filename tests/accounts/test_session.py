"""Staff sessions: over after STAFF_IDLE_TIMEOUT_SECONDS without a request, and at most
SESSION_COOKIE_AGE after sign-in; public tracking's fast path is untouched."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from accounts.session import LAST_SEEN_KEY, SIGNED_IN_AT_KEY
from tests.sign_in import post_password, sign_in

pytestmark = pytest.mark.django_db


def age_session(client, **seconds_ago):
    session = client.session
    for key, seconds in seconds_ago.items():
        session[key] = int(time.time()) - seconds
    session.save()


def test_the_settings_are_a_working_day_and_half_an_hour():
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.STAFF_IDLE_TIMEOUT_SECONDS == 30 * 60


def test_a_staff_member_idle_too_long_is_signed_out(client, reviewer):
    sign_in(client, reviewer)
    assert client.get("/admin/").status_code == 200
    assert LAST_SEEN_KEY in client.session

    age_session(client, **{LAST_SEEN_KEY: settings.STAFF_IDLE_TIMEOUT_SECONDS + 1})
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == f"{reverse('two_factor:login')}?next=/admin/"
    assert "请重新登录" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still signed out


def test_activity_within_the_idle_timeout_keeps_the_session(client, clerk):
    sign_in(client, clerk)
    client.get("/window/")
    age_session(client, **{LAST_SEEN_KEY: settings.STAFF_IDLE_TIMEOUT_SECONDS - 60})
    assert client.get("/window/").status_code == 200
    assert int(time.time()) - client.session[LAST_SEEN_KEY] < 5  # the clock restarted


def test_a_session_ends_a_working_day_after_sign_in_however_busy(client, clerk):
    sign_in(client, clerk)
    client.get("/window/")
    age_session(client, **{SIGNED_IN_AT_KEY: settings.SESSION_COOKIE_AGE + 1, LAST_SEEN_KEY: 0})
    response = client.get("/window/")
    assert response.status_code == 302 and "_auth_user_id" not in client.session


@override_settings(STAFF_IDLE_TIMEOUT_SECONDS=60)
def test_the_idle_timeout_is_a_setting(client, clerk):
    sign_in(client, clerk)
    client.get("/window/")
    age_session(client, **{LAST_SEEN_KEY: 61})
    assert client.get("/window/").status_code == 302


def test_signing_in_starts_the_clock(client, clerk):
    post_password(client, clerk.username, settings.DEMO_PASSWORD, next_url="/window/")
    session = client.session
    assert int(time.time()) - session[SIGNED_IN_AT_KEY] < 5
    assert session[LAST_SEEN_KEY] == session[SIGNED_IN_AT_KEY]


def test_anonymous_and_citizen_sessions_get_no_staff_clock(client):
    client.get("/me/")
    client.get(reverse("two_factor:login"))
    assert SIGNED_IN_AT_KEY not in client.session and LAST_SEEN_KEY not in client.session
