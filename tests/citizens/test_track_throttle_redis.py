"""The tracking throttle on a real Redis (full mode): counted together by every process,
one GET per check, the window starting at the first failure."""

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from tools.servers import redis_server

from .conftest import OWNER_ID

SUFFIX = OWNER_ID[-4:]
UNKNOWN_NUMBER = "260101ABCDEFGH"


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as url:
        yield url


@pytest.fixture
def redis_cache(settings, redis_url):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
        }
    }
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def _calls(client) -> dict[str, int]:
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}


def _get(tracking_no, suffix):
    return APIClient().get(reverse("api:track", args=[tracking_no]), {"id_suffix": suffix})


def test_failures_are_counted_in_redis_and_block_even_a_right_guess(
    redis_cache, owner_case, settings
):
    settings.TRACK_FAILURE_LIMIT = 3
    for _ in range(3):
        assert _get(UNKNOWN_NUMBER, SUFFIX).status_code == 404
    blocked = _get(owner_case.tracking_no, SUFFIX)
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "600"
    # Django's own cache API reads the same count (another process, the HTML page...).
    assert cache.get("citizens:track-failures:127.0.0.1") == 3
    [key] = redis_cache.keys("*track-failures*")
    assert 590 <= redis_cache.ttl(key) <= 600


def test_a_lookup_costs_one_get_and_a_failure_one_pipelined_count(redis_cache, owner_case):
    assert _get(owner_case.tracking_no, SUFFIX).status_code == 200  # warm connections
    before = _calls(redis_cache)
    assert _get(owner_case.tracking_no, SUFFIX).status_code == 200
    after = _calls(redis_cache)
    assert after.get("get", 0) - before.get("get", 0) == 1
    assert {name for name in after if after[name] != before.get(name, 0)} <= {"get", "info"}

    before = _calls(redis_cache)
    assert _get(owner_case.tracking_no, "0000").status_code == 404
    after = _calls(redis_cache)
    changed = {name: after[name] - before.get(name, 0) for name in after}
    assert changed["get"] == 1
    assert changed["multi"] == changed["set"] == changed["incrby"] == changed["exec"] == 1


def test_the_window_starts_at_the_first_failure(redis_cache, owner_case):
    assert _get(UNKNOWN_NUMBER, SUFFIX).status_code == 404
    [key] = redis_cache.keys("*track-failures*")
    redis_cache.expire(key, 100)  # as if the first failure were 500 s ago
    assert _get(UNKNOWN_NUMBER, SUFFIX).status_code == 404
    assert int(redis_cache.get(key)) == 2
    assert 0 < redis_cache.ttl(key) <= 100  # later failures do not extend the window
