"""The sign-in limits on a real Redis (full mode): counted together by every process
through Django's cache API, nothing written by a check, the window starting at the first
failure. (The tracking throttle is counted in the database: test_track_throttle.py.)"""

import pytest
import redis
from django.core.cache import cache

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


def test_failures_are_counted_in_redis_and_block_that_address(redis_cache, settings):
    settings.SIGN_IN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert not SIGN_IN_FAILURES.is_blocked("10.1.1.1")
        SIGN_IN_FAILURES.record("10.1.1.1")
    assert SIGN_IN_FAILURES.is_blocked("10.1.1.1")
    assert not SIGN_IN_FAILURES.is_blocked("10.1.1.2")
    # Django's own cache API reads the same count (another process, another page...).
    assert cache.get("citizens:sign-in-failures:10.1.1.1") == 3
    [key] = redis_cache.keys("*sign-in-failures*")
    assert 3590 <= redis_cache.ttl(key) <= 3600


def test_a_check_writes_nothing(redis_cache):
    for _ in range(3):
        assert not SIGN_IN_FAILURES.is_blocked("10.1.1.1")
    assert redis_cache.keys("*") == []


def test_the_window_starts_at_the_first_failure(redis_cache):
    SIGN_IN_FAILURES.record("10.1.1.1")
    [key] = redis_cache.keys("*sign-in-failures*")
    redis_cache.expire(key, 100)  # as if the first failure were long ago
    SIGN_IN_FAILURES.record("10.1.1.1")
    assert int(redis_cache.get(key)) == 2
    assert 0 < redis_cache.ttl(key) <= 100  # later failures do not extend the window
