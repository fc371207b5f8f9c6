"""Per-client limits kept in Django's cache (Redis in full mode, so every process shares them).

Tracking and signing in count *failures*: a citizen who types their own number
right is never slowed down, someone trying numbers is stopped after a few misses.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from rest_framework.settings import api_settings


def client_ident(request: HttpRequest) -> str:
    """The client's address as DRF's throttles see it (``BaseThrottle.get_ident``:
    ``NUM_PROXIES`` decides whether to trust ``X-Forwarded-For``), for pages and API
    alike; read from ``request.META`` directly (``request.headers`` builds a dict of
    every header first)."""
    xff = request.META.get("HTTP_X_FORWARDED_FOR")
    remote_addr = request.META.get("REMOTE_ADDR")
    num_proxies = api_settings.NUM_PROXIES
    if num_proxies is not None:
        if num_proxies == 0 or xff is None:
            return remote_addr  # type: ignore[return-value]
        addrs = xff.split(",")
        return addrs[-min(num_proxies, len(addrs))].strip()
    return "".join(xff.split()) if xff else remote_addr  # type: ignore[return-value]


@dataclass(frozen=True)
class FailureLimit:
    scope: str
    limit_setting: str
    default_limit: int
    window_setting: str
    default_window: int

    @property
    def limit(self) -> int:
        return int(getattr(settings, self.limit_setting, self.default_limit))

    @property
    def window(self) -> int:
        return int(getattr(settings, self.window_setting, self.default_window))

    def _key(self, request: HttpRequest) -> str:
        return f"citizens:{self.scope}:{client_ident(request)}"

    def is_blocked(self, request: HttpRequest) -> bool:
        key = self._key(request)
        backend = caches[DEFAULT_CACHE_ALIAS]
        client = _redis_client(backend)
        if client is not None:  # one GET (the key as Django's cache names it)
            # make_key: the key is ours and plain ASCII; validating it is for memcached.
            count = client.get(backend.make_key(key))
            return int(count or 0) >= self.limit
        return int(backend.get(key, 0)) >= self.limit

    def record(self, request: HttpRequest) -> None:
        key = self._key(request)
        backend = caches[DEFAULT_CACHE_ALIAS]
        client = _redis_client(backend)
        if client is not None:
            # One round trip: the window starts at the first failure (SET NX with the
            # expiry), then the count goes up; MULTI makes the pair atomic.
            native_key = backend.make_and_validate_key(key)
            with client.pipeline(transaction=True) as pipeline:
                pipeline.set(native_key, 0, ex=self.window, nx=True)
                pipeline.incr(native_key)
                pipeline.execute()
            return
        # The window starts at the first failure; add() is a no-op when the key exists.
        backend.add(key, 0, timeout=self.window)
        try:
            backend.incr(key)
        except ValueError:  # expired between add() and incr()
            backend.set(key, 1, timeout=self.window)


def _redis_client(backend):  # type: ignore[no-untyped-def]
    """The redis-py client behind Django's Redis cache, or None for any other cache.

    Django's ``RedisCache`` builds a new client object (with its ~170 response
    callbacks) for every operation, a visible share of a tracking lookup's CPU time;
    so one is kept per cache object, and as Django keeps one cache object per thread,
    that client keeps one connection of the pool for itself (``single_connection_client``:
    no taking from and giving back to the pool on every command, which cost as much as
    the GET). Counts stay readable through ``cache.get``: Django stores integers as
    plain Redis integers."""
    if not isinstance(backend, RedisCache):
        return None
    client = backend.__dict__.get("_onewindow_client")
    if client is None:
        cache_client = backend._cache
        client = cache_client._client(
            connection_pool=cache_client._get_connection_pool(write=True),
            single_connection_client=True,
        )
        backend.__dict__["_onewindow_client"] = client
    return client


class TrackFailureLimit(FailureLimit):
    """The same limit, counted in the database (``TrackFailure``) instead of the cache:
    on PostgreSQL the tracking API checks it inside its one lookup statement
    (``citizens.tracking.track_answer_json``), which saves a round trip to Redis on
    every lookup — a sixth of the API's CPU time (README, "Public tracking under
    load"). The page and every other database check it with a query of its own."""

    def is_blocked(self, request: HttpRequest) -> bool:
        from .services.track_failures import track_failure_is_blocked

        return track_failure_is_blocked(client=client_ident(request) or "", limit=self.limit)

    def record(self, request: HttpRequest) -> None:
        from .services.track_failures import track_failure_record

        track_failure_record(client=client_ident(request) or "", window_seconds=self.window)


# Wrong or unknown tracking number / ID suffix: the page and the API share the count.
TRACK_FAILURES = TrackFailureLimit(
    "track-failures", "TRACK_FAILURE_LIMIT", 10, "TRACK_FAILURE_WINDOW_SECONDS", 600
)
# Sign-in codes asked for, and wrong codes typed, from one address.
SIGN_IN_REQUESTS = FailureLimit(
    "sign-in-requests", "SIGN_IN_REQUEST_LIMIT", 20, "SIGN_IN_WINDOW_SECONDS", 3600
)
SIGN_IN_FAILURES = FailureLimit(
    "sign-in-failures", "SIGN_IN_FAILURE_LIMIT", 20, "SIGN_IN_WINDOW_SECONDS", 3600
)
