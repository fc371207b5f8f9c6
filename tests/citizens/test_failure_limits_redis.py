"""The sign-in limits on a real Redis (full mode): counted together by every process,
one GET per check, one pipelined count per failure, the window starting at the first
failure. (The tracking throttle is counted in the database: test_track_throttle.py.)"""

import pytest
import redis
from django.core.cache import cache
from django.test import RequestFactory

from citizens.throttles import SIGN_IN_FAILURES
from tools.servers import redis_server


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


@pytest.fixture
def request_from():
    return lambda address: RequestFactory().get("/", REMOTE_ADDR=address)


def test_failures_are_counted_in_redis_and_block_that_address(redis_cache, settings, request_from):
    settings.SIGN_IN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert not SIGN_IN_FAILURES.is_blocked(request_from("10.1.1.1"))
        SIGN_IN_FAILURES.record(request_from("10.1.1.1"))
    assert SIGN_IN_FAILURES.is_blocked(request_from("10.1.1.1"))
    assert not SIGN_IN_FAILURES.is_blocked(request_from("10.1.1.2"))
    # Django's own cache API reads the same count (another process, another page...).
    assert cache.get("citizens:sign-in-failures:10.1.1.1") == 3
    [key] = redis_cache.keys("*sign-in-failures*")
    assert 3590 <= redis_cache.ttl(key) <= 3600


def test_a_check_costs_one_get_and_a_failure_one_pipelined_count(redis_cache, request_from):
    SIGN_IN_FAILURES.is_blocked(request_from("10.1.1.1"))  # warm the connection
    before = _calls(redis_cache)
    assert not SIGN_IN_FAILURES.is_blocked(request_from("10.1.1.1"))
    after = _calls(redis_cache)
    assert after.get("get", 0) - before.get("get", 0) == 1
    assert {name for name in after if after[name] != before.get(name, 0)} <= {"get", "info"}

    before = _calls(redis_cache)
    SIGN_IN_FAILURES.record(request_from("10.1.1.1"))
    after = _calls(redis_cache)
    changed = {name: after[name] - before.get(name, 0) for name in after}
    assert changed["multi"] == changed["set"] == changed["incrby"] == changed["exec"] == 1


def test_the_window_starts_at_the_first_failure(redis_cache, request_from):
    SIGN_IN_FAILURES.record(request_from("10.1.1.1"))
    [key] = redis_cache.keys("*sign-in-failures*")
    redis_cache.expire(key, 100)  # as if the first failure were long ago
    SIGN_IN_FAILURES.record(request_from("10.1.1.1"))
    assert int(redis_cache.get(key)) == 2
    assert 0 < redis_cache.ttl(key) <= 100  # later failures do not extend the window
