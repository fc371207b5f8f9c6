"""The tracking API's shorter way through Django (citizens.middleware): the same answer as
the full middleware stack, byte for byte and header for header, with the security headers
and the request's language; every middleware but the four with nothing to do still runs."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from citizens.middleware import NOTHING_TO_DO, PublicTrackingMiddleware
from citizens.models import TrackFailure

from .conftest import OWNER_ID

SUFFIX = OWNER_ID[-4:]
FAST_PATH = "citizens.middleware.PublicTrackingMiddleware"


def _get(client, number, suffix, **extra):
    return client.get(reverse("api:track", args=[number]), {"id_suffix": suffix}, **extra)


def _without_fast_path(settings):
    settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if path != FAST_PATH]


def _answers(client, owner_case, settings):
    """Found (both languages, with a session cookie too), unknown, malformed, throttled."""
    settings.TRACK_FAILURE_LIMIT = 1
    TrackFailure.objects.all().delete()
    client.cookies["sessionid"] = "not-a-session"
    client.cookies["csrftoken"] = "x" * 32
    answers = [
        _get(client, owner_case.tracking_no, SUFFIX),
        _get(client, owner_case.tracking_no, SUFFIX, HTTP_ACCEPT_LANGUAGE="en"),
        _get(client, owner_case.tracking_no, "12"),
        _get(client, owner_case.tracking_no, "9999"),  # a failure: the next is throttled
        _get(client, owner_case.tracking_no, SUFFIX, HTTP_ACCEPT_LANGUAGE="en"),
    ]
    # Every answer has its own request id (operations/request_id.py); the rest is compared.
    assert all(len(a.headers["X-Request-ID"]) == 32 for a in answers)
    return [
        (a.status_code, sorted(i for i in a.headers.items() if i[0] != "X-Request-ID"), a.content)
        for a in answers
    ]


def test_the_fast_path_answers_exactly_like_the_full_middleware_stack(owner_case, settings):
    fast = _answers(Client(), owner_case, settings)
    assert [status for status, _, _ in fast] == [200, 200, 400, 404, 429]
    _without_fast_path(settings)
    assert _answers(Client(), owner_case, settings) == fast


def test_the_answer_keeps_the_security_headers_and_the_request_language(owner_case):
    client = Client()
    chinese = _get(client, owner_case.tracking_no, SUFFIX)
    english = _get(client, owner_case.tracking_no, SUFFIX, HTTP_ACCEPT_LANGUAGE="en")
    by_cookie = Client()
    by_cookie.cookies["django_language"] = "en"  # what /i18n/setlang/ leaves
    from_cookie = _get(by_cookie, owner_case.tracking_no, SUFFIX)
    for response in (chinese, english, from_cookie):
        assert response.status_code == 200
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store, private"
        assert response.headers["Vary"] == "Accept-Language"
    assert chinese.headers["Content-Language"] == "zh-hans"
    assert chinese.json()["stage_display"] == "部门审批中"
    for response in (english, from_cookie):
        assert response.headers["Content-Language"] == "en"
        assert response.json()["stage_display"] == "Under review by the departments"


class RecordingMiddleware:
    """Added at the end of MIDDLEWARE by a test: says it ran and what it found set up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers["X-Recorded"] = ",".join(
            name for name in ("session", "user", "_messages") if hasattr(request, name)
        )
        return response


def test_a_middleware_added_later_runs_on_the_fast_path_the_four_idle_ones_do_not(
    owner_case, settings
):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.RecordingMiddleware"]
    fast = _get(Client(), owner_case.tracking_no, SUFFIX)
    assert fast.status_code == 200
    assert fast.headers["X-Recorded"] == ""  # no session, user or messages set up
    # Any other URL takes the full stack.
    page = Client().get(reverse("citizens:track"))
    assert page.headers["X-Recorded"] == "session,user,_messages"


class ViewHookMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.saw_view = True


def test_a_middleware_with_a_view_hook_turns_the_fast_path_off(settings):
    """Django calls process_view while resolving the URL, which the fast path skips."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.ViewHookMiddleware"]
    assert PublicTrackingMiddleware(lambda request: None)._track is None
    _without_fast_path(settings)
    settings.MIDDLEWARE = [FAST_PATH, *settings.MIDDLEWARE[:-1]]
    assert PublicTrackingMiddleware(lambda request: None)._track is not None


def test_only_idle_middlewares_are_skipped():
    """Each skipped one is in the setting and has nothing to do for an anonymous GET."""
    from django.conf import settings

    assert set(settings.MIDDLEWARE) >= NOTHING_TO_DO
    assert settings.MIDDLEWARE[0] == FAST_PATH
    kept = [p for p in settings.MIDDLEWARE[1:] if p not in NOTHING_TO_DO]
    assert kept == [
        "operations.request_id.RequestIdMiddleware",
        "django.middleware.security.SecurityMiddleware",
        "csp.middleware.CSPMiddleware",
        "django_permissions_policy.PermissionsPolicyMiddleware",
        "onewindow.middleware.LocaleMiddleware",
        "django.middleware.common.CommonMiddleware",
        # Staff sign-in: no user and no session on this path, so each passes straight on.
        "django_otp.middleware.OTPMiddleware",
        "accounts.middleware.StaffIdleTimeoutMiddleware",
        "accounts.middleware.StaffSecondFactorMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "axes.middleware.AxesMiddleware",
    ]


def test_other_methods_and_urls_take_the_usual_path(owner_case):
    client = Client()
    post = client.post(reverse("api:track", args=[owner_case.tracking_no]))
    assert post.status_code == 405  # DRF's answer for a method the view does not have
    # A path that only looks like the route is resolved (and not found) as usual.
    assert client.get("/api/v1/track/a/b/", {"id_suffix": SUFFIX}).status_code == 404
    assert client.get("/api/v1/track//", {"id_suffix": SUFFIX}).status_code == 404


@pytest.mark.postgresql  # the statements prepared on the libpq connection
@pytest.mark.django_db(transaction=True)
def test_a_statement_deallocated_behind_our_back_is_prepared_again(owner_case):
    client = Client()
    assert _get(client, owner_case.tracking_no, SUFFIX).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a pooler's DISCARD ALL does
    assert _get(client, owner_case.tracking_no, SUFFIX).status_code == 200


@pytest.mark.postgresql  # psycopg's own prepared statements and ours on one connection
def test_a_rollback_that_makes_psycopg_deallocate_all_does_not_lose_ours(owner_case):
    """psycopg prepares statements run often (DATABASE_PREPARE_THRESHOLD) and answers a
    ROLLBACK TO SAVEPOINT with DEALLOCATE ALL; inside the same transaction the lookup
    must prepare its statement again rather than fail on the deallocated name."""
    from django.db import transaction

    from cases.models import Case

    client = Client()
    assert _get(client, owner_case.tracking_no, SUFFIX).status_code == 200
    for _ in range(6):  # psycopg now holds a prepared statement of its own
        Case.objects.filter(pk=owner_case.pk).exists()
    try:
        with transaction.atomic():
            Case.objects.filter(pk=owner_case.pk).exists()
            raise RuntimeError("roll this savepoint back")
    except RuntimeError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0  # psycopg deallocated everything, ours too
    assert _get(client, owner_case.tracking_no, SUFFIX).status_code == 200
