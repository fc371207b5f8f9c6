"""What every registry connector answers, and the interface they share."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from ..models import Registry

T = TypeVar("T")


class RegistryUnavailableError(Exception):
    """The registry could not be read (timeout, bad answer); the read is logged as an error."""


@dataclass(frozen=True)
class RegistryResult:
    """One answer of a registry: the record and the evidence of how it came."""

    data: dict[str, Any] | None
    raw_body: bytes = b""
    content_type: str = ""
    status_code: int | None = None
    attempts: int = 1
    source: str = field(default="")

    @property
    def is_match(self) -> bool:
        return self.data is not None

    @property
    def raw_sha256(self) -> str:
        """The digest of the body as received ("" when there was no body)."""
        return hashlib.sha256(self.raw_body).hexdigest() if self.raw_body else ""


class RegistryConnector(Protocol):
    def read(self, *, registry: Registry, subject_id: str) -> RegistryResult:
        """The subject's record with the raw answer; raises ``RegistryUnavailableError``."""

    def fetch(self, *, registry: Registry, subject_id: str) -> dict[str, Any] | None:
        """The subject's record, or ``None`` when the registry holds none."""

    def read_many(
        self, *, registry: Registry, subject_ids: Sequence[str], purpose: str
    ) -> dict[str, dict[str, Any] | None]:
        """Every asked subject's record or ``None``; raises ``RegistryUnavailableError``."""


class BaseConnector:
    def read(self, *, registry: Registry, subject_id: str) -> RegistryResult:
        raise NotImplementedError

    def fetch(self, *, registry: Registry, subject_id: str) -> dict[str, Any] | None:
        return self.read(registry=registry, subject_id=subject_id).data

    def read_many(
        self, *, registry: Registry, subject_ids: Sequence[str], purpose: str
    ) -> dict[str, dict[str, Any] | None]:
        # No fallback to one ``read`` per subject: a mass check must not quietly turn
        # into two million single reads.
        raise NotImplementedError


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """The items, ``size`` at a time (the last chunk may be shorter)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique_ids(subject_ids: Sequence[str]) -> list[str]:
    """The ids once each, in the order first asked."""
    return list(dict.fromkeys(subject_ids))
