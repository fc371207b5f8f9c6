"""How a registry is read: one interface, one implementation per way of access.

``LocalTableConnector`` reads ``RegistryRecord`` rows (the default and the demo).
A department with its own system gets an HTTP connector behind the same
interface (a later step). Connectors only fetch; the sharing gateway in
``cases.services.sharing`` decides whether a read is allowed and logs it.
"""

from __future__ import annotations

from typing import Any, Protocol

from .constants import ConnectorKind
from .models import Registry, RegistryRecord


class RegistryUnavailableError(Exception):
    """The registry could not be read (timeout, bad answer); the read is logged as an error."""


class RegistryConnector(Protocol):
    def fetch(self, *, registry: Registry, subject_id: str) -> dict[str, Any] | None:
        """The subject's record, or ``None`` when the registry holds none."""


class LocalTableConnector:
    def fetch(self, *, registry: Registry, subject_id: str) -> dict[str, Any] | None:
        record = (
            RegistryRecord.objects.filter(registry=registry, subject_id=subject_id)
            .only("data")
            .first()
        )
        return None if record is None else dict(record.data)


CONNECTORS: dict[str, RegistryConnector] = {ConnectorKind.LOCAL: LocalTableConnector()}


def connector_for(registry: Registry) -> RegistryConnector:
    try:
        return CONNECTORS[registry.connector]
    except KeyError:
        raise RegistryUnavailableError(
            f"no connector for {registry.connector!r} registries yet"
        ) from None
