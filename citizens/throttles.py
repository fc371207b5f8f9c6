"""Per-client limits kept in Django's cache (Redis in full mode, so every process shares them).

Tracking and signing in count *failures*: a citizen who types their own number
right is never slowed down, someone trying numbers is stopped after a few misses.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle


def client_ident(request: HttpRequest) -> str:
    """The client's address as DRF sees it (``NUM_PROXIES`` decides whether to trust
    ``X-Forwarded-For``), for pages and API alike."""
    return BaseThrottle().get_ident(request)


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
        return int(cache.get(self._key(request), 0)) >= self.limit

    def record(self, request: HttpRequest) -> None:
        key = self._key(request)
        # The window starts at the first failure; add() is a no-op when the key exists.
        cache.add(key, 0, timeout=self.window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=self.window)


# Wrong or unknown tracking number / ID suffix: the page and the API share the count.
TRACK_FAILURES = FailureLimit(
    "track-failures", "TRACK_FAILURE_LIMIT", 10, "TRACK_FAILURE_WINDOW_SECONDS", 600
)
# Sign-in codes asked for, and wrong codes typed, from one address.
SIGN_IN_REQUESTS = FailureLimit(
    "sign-in-requests", "SIGN_IN_REQUEST_LIMIT", 20, "SIGN_IN_WINDOW_SECONDS", 3600
)
SIGN_IN_FAILURES = FailureLimit(
    "sign-in-failures", "SIGN_IN_FAILURE_LIMIT", 20, "SIGN_IN_WINDOW_SECONDS", 3600
)
