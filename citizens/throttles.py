"""Failure limits of the citizens' pages and API, per client address and per target.

Tracking and signing in count *failures*: a citizen who types their own number right is
never slowed down, someone trying numbers is stopped after a few misses. Each secret is
guarded twice: per client address (``onewindow.client_address``: a forged
``X-Forwarded-For`` is ignored) and per target — the case whose ID suffix is being
guessed, the ID number whose sign-in code is being guessed — so that spreading the
guesses over many addresses does not help either. A blocked request is answered before
anything is looked up or written.

The sign-in limits are counted in Django's cache (Redis in full mode, so every process
counts together); tracking's in the database (``TrackFailure``), where on PostgreSQL the
API checks them inside its one lookup statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from onewindow.client_address import client_address


def client_ident(request: HttpRequest) -> str:
    """The trusted client address of ``request`` (the key of the per-address limits)."""
    return client_address(request)


@dataclass(frozen=True)
class FailureLimit:
    """At most ``limit`` failures per key within a window that starts at the key's first
    failure; ``limit`` and the window's length are settings."""

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

    def _key(self, key: str) -> str:
        return f"citizens:{self.scope}:{key}"

    def is_blocked(self, key: str) -> bool:
        return int(cache.get(self._key(key), 0)) >= self.limit

    def record(self, key: str) -> None:
        name = self._key(key)
        # The window starts at the first failure; add() is a no-op when the key exists.
        cache.add(name, 0, timeout=self.window)
        try:
            cache.incr(name)
        except ValueError:  # expired between add() and incr()
            cache.set(name, 1, timeout=self.window)


@dataclass(frozen=True)
class TrackBlock:
    """Why a tracking request is refused: too many misses from the client's address, or
    too many wrong ID suffixes typed for this case (from anywhere)."""

    reason: str  # "client" or "case"
    retry_after: int


def track_block(reason: str) -> TrackBlock | None:
    """The block that ``reason`` (``"client"``, ``"case"`` or ``""``) stands for."""
    if reason == "client":
        return TrackBlock("client", TRACK_FAILURES.client.window)
    if reason == "case":
        return TrackBlock("case", TRACK_FAILURES.case.window)
    return None


def track_block_message(block: TrackBlock) -> str:
    if block.reason == "case":
        return _(
            "该办件的证件号码后四位输错次数过多，查询已暂停。"
            "申请人可登录「我的办件」查看，或凭回执到综合窗口查询。"
        )
    return _("查询失败次数过多，请稍后再试。")


def track_target(tracking_no: str) -> str:
    """The ``TrackFailure`` key of a case's wrong-suffix count (its tracking number)."""
    return f"case:{tracking_no}"


@dataclass(frozen=True)
class TrackFailureLimits:
    """The tracking limits, counted in the database (``TrackFailure``): per client address
    (unknown numbers and wrong suffixes alike) and per case (wrong suffixes of a number
    that exists; an unknown number has no row to protect, and counting it would let
    anyone fill the table)."""

    client: FailureLimit
    case: FailureLimit

    def blocked(self, *, client: str, tracking_no: str) -> TrackBlock | None:
        from .services.track_failures import track_failure_blocked_keys

        keys = track_failure_blocked_keys(
            limits={client: self.client.limit, track_target(tracking_no): self.case.limit}
        )
        return track_block("client" if client in keys else "case" if keys else "")

    def record(self, *, client: str, tracking_no: str) -> None:
        from .services.track_failures import track_failure_record

        track_failure_record(
            client=client,
            client_window_seconds=self.client.window,
            case_key=track_target(tracking_no),
            tracking_no=tracking_no,
            case_window_seconds=self.case.window,
        )


# Wrong or unknown tracking number / ID suffix: the page and the API share the counts.
TRACK_FAILURES = TrackFailureLimits(
    client=FailureLimit(
        "track-failures", "TRACK_FAILURE_LIMIT", 10, "TRACK_FAILURE_WINDOW_SECONDS", 600
    ),
    case=FailureLimit(
        "track-case-failures",
        "TRACK_CASE_FAILURE_LIMIT",
        20,
        "TRACK_CASE_FAILURE_WINDOW_SECONDS",
        86400,
    ),
)
# Sign-in codes asked for, and wrong codes typed, from one address.
SIGN_IN_REQUESTS = FailureLimit(
    "sign-in-requests", "SIGN_IN_REQUEST_LIMIT", 20, "SIGN_IN_WINDOW_SECONDS", 3600
)
SIGN_IN_FAILURES = FailureLimit(
    "sign-in-failures", "SIGN_IN_FAILURE_LIMIT", 20, "SIGN_IN_WINDOW_SECONDS", 3600
)
# Wrong codes typed for one ID number (keyed by its HMAC, never the number), from anywhere.
SIGN_IN_SUBJECT_FAILURES = FailureLimit(
    "sign-in-subject-failures",
    "SIGN_IN_SUBJECT_FAILURE_LIMIT",
    10,
    "SIGN_IN_SUBJECT_WINDOW_SECONDS",
    3600,
)
# Sign-up (/me/sign-up/): codes asked for from one address; wrong codes and real-name
# refusals per address, per ID number and per mobile number (both keyed by HMAC). The
# codes asked for per ID number and per mobile number are limited by the code rows
# themselves (one a minute, five an hour: ``services.sign_up``).
SIGN_UP_REQUESTS = FailureLimit(
    "sign-up-requests", "SIGN_UP_REQUEST_LIMIT", 20, "SIGN_UP_WINDOW_SECONDS", 3600
)
SIGN_UP_FAILURES = FailureLimit(
    "sign-up-failures", "SIGN_UP_FAILURE_LIMIT", 20, "SIGN_UP_WINDOW_SECONDS", 3600
)
SIGN_UP_SUBJECT_FAILURES = FailureLimit(
    "sign-up-subject-failures",
    "SIGN_UP_SUBJECT_FAILURE_LIMIT",
    10,
    "SIGN_UP_WINDOW_SECONDS",
    3600,
)
SIGN_UP_PHONE_FAILURES = FailureLimit(
    "sign-up-phone-failures", "SIGN_UP_PHONE_FAILURE_LIMIT", 10, "SIGN_UP_WINDOW_SECONDS", 3600
)
# Refused attempts to act for an organisation or grant a delegation, per address: each
# one may read the legal-person registry, so someone trying codes is stopped early.
ACT_FOR_FAILURES = FailureLimit(
    "act-for-failures", "ACT_FOR_FAILURE_LIMIT", 10, "ACT_FOR_WINDOW_SECONDS", 3600
)
