"""The tracking throttle's counts in the database (TrackFailure): shared by the page and
the API, the window starting at an address's first failure, checked on PostgreSQL inside
the API's one lookup statement, deleted by the nightly retention run a day after their
window ended."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from citizens.models import TrackFailure
from privacy.services.runs import retention_apply

from .conftest import OWNER_ID

SUFFIX = OWNER_ID[-4:]
UNKNOWN_NUMBER = "260101ABCDEFGH"


def _get(tracking_no, suffix, **extra):
    return APIClient().get(reverse("api:track", args=[tracking_no]), {"id_suffix": suffix}, **extra)


def test_failures_are_counted_per_address_and_block_even_a_right_guess(owner_case, settings):
    settings.TRACK_FAILURE_LIMIT = 3
    for _ in range(3):
        assert _get(UNKNOWN_NUMBER, SUFFIX).status_code == 404
    failure = TrackFailure.objects.get(client="127.0.0.1")
    assert failure.failures == 3
    assert abs(failure.window_ends - timezone.now() - dt.timedelta(seconds=600)) < dt.timedelta(
        seconds=10
    )
    blocked = _get(owner_case.tracking_no, SUFFIX)
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "600"
    # Blocked comes first: a malformed suffix is not even looked at.
    assert _get(owner_case.tracking_no, "12").status_code == 429
    assert TrackFailure.objects.get(client="127.0.0.1").failures == 3  # 429s do not count
    assert _get(owner_case.tracking_no, SUFFIX, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_the_window_starts_at_the_first_failure_and_a_new_one_after_it_ends(owner_case):
    assert _get(UNKNOWN_NUMBER, SUFFIX).status_code == 404
    first_end = TrackFailure.objects.get().window_ends
    assert _get(UNKNOWN_NUMBER, SUFFIX).status_code == 404
    failure = TrackFailure.objects.get()
    assert (failure.failures, failure.window_ends) == (2, first_end)  # not extended
    TrackFailure.objects.update(window_ends=timezone.now() - dt.timedelta(seconds=1))
    assert _get(UNKNOWN_NUMBER, SUFFIX).status_code == 404
    failure = TrackFailure.objects.get()
    assert failure.failures == 1
    assert failure.window_ends > timezone.now() + dt.timedelta(seconds=590)


def test_an_ended_window_blocks_nobody(owner_case, settings):
    settings.TRACK_FAILURE_LIMIT = 2
    TrackFailure.objects.create(
        client="127.0.0.1", failures=5, window_ends=timezone.now() - dt.timedelta(seconds=1)
    )
    assert _get(owner_case.tracking_no, SUFFIX).status_code == 200


@pytest.mark.postgresql  # the check inside the lookup statement
def test_on_postgresql_check_and_lookup_are_one_statement(owner_case, settings):
    settings.TRACK_FAILURE_LIMIT = 1
    with CaptureQueriesContext(connection) as found:
        assert _get(owner_case.tracking_no, SUFFIX).status_code == 200
    assert len(found.captured_queries) == 1
    with CaptureQueriesContext(connection) as failed:
        assert _get(owner_case.tracking_no, "0000").status_code == 404
    assert len(failed.captured_queries) == 2  # the statement, then the count
    with CaptureQueriesContext(connection) as blocked:
        assert _get(owner_case.tracking_no, SUFFIX).status_code == 429
    assert len(blocked.captured_queries) == 1


def test_the_nightly_retention_run_deletes_the_counts_whose_window_ended_a_day_ago(db):
    now = timezone.now()
    TrackFailure.objects.create(client="10.0.0.1", failures=3, window_ends=now - dt.timedelta(2))
    TrackFailure.objects.create(client="10.0.0.2", failures=3, window_ends=now - dt.timedelta(0.5))
    TrackFailure.objects.create(client="10.0.0.3", failures=3, window_ends=now + dt.timedelta(1))
    assert retention_apply().counts["track_failures"] == 1
    assert sorted(TrackFailure.objects.values_list("client", flat=True)) == [
        "10.0.0.2",
        "10.0.0.3",
    ]
