"""How a registry is read: one interface, one implementation per way of access.

``LocalTableConnector`` reads ``RegistryRecord`` rows (the default and the demo).
``HttpConnector`` asks a department's own system over HTTPS with JSON. Connectors
only fetch; the sharing gateway in ``cases.services.sharing`` decides whether a
read is allowed and logs it.

``read`` answers a ``RegistryResult``: the record (or ``None`` when the registry
holds none) together with the raw response body exactly as received and its
SHA-256, so that the gateway can keep the evidence of what the other department
said. ``fetch`` is the short form that answers only the record.

``read_many`` is the batch read of a mass check (a lottery round): the records of
many subjects at once, one SQL statement per chunk for a local table and one
``POST <endpoint>/batch`` per chunk for a department's system. It answers an entry
for every subject asked (``None`` where the registry holds none) or raises
``RegistryUnavailableError``: a registry that cannot answer is never read as
"holds nothing".
"""

from __future__ import annotations

from ..constants import ConnectorKind
from ..models import Registry
from .base import BaseConnector, RegistryConnector, RegistryResult, RegistryUnavailableError
from .local import LocalTableConnector
from .remote import HttpConnector

__all__ = [
    "CONNECTORS",
    "BaseConnector",
    "HttpConnector",
    "LocalTableConnector",
    "RegistryConnector",
    "RegistryResult",
    "RegistryUnavailableError",
    "connector_for",
]

CONNECTORS: dict[str, RegistryConnector] = {
    ConnectorKind.LOCAL: LocalTableConnector(),
    ConnectorKind.HTTP: HttpConnector(),
}


def connector_for(registry: Registry) -> RegistryConnector:
    try:
        return CONNECTORS[registry.connector]
    except KeyError:
        raise RegistryUnavailableError(
            f"no connector for {registry.connector!r} registries yet"
        ) from None
