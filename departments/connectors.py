"""How a registry is read: one interface, one implementation per way of access.

``LocalTableConnector`` reads ``RegistryRecord`` rows (the default and the demo).
``HttpConnector`` asks a department's own system over HTTPS with JSON. Connectors
only fetch; the sharing gateway in ``cases.services.sharing`` decides whether a
read is allowed and logs it.

``read`` answers a ``RegistryResult``: the record (or ``None`` when the registry
holds none) together with the raw response body exactly as received and its
SHA-256, so that the gateway can keep the evidence of what the other department
said. ``fetch`` is the short form that answers only the record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from django.conf import settings

from onewindow.precompiled import Precompiled

from .constants import ConnectorKind
from .models import Registry, RegistryRecord

logger = logging.getLogger(__name__)


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


class BaseConnector:
    def read(self, *, registry: Registry, subject_id: str) -> RegistryResult:
        raise NotImplementedError

    def fetch(self, *, registry: Registry, subject_id: str) -> dict[str, Any] | None:
        return self.read(registry=registry, subject_id=subject_id).data


# One subject's record: read for every registry check, compiled once.
_RECORD_DATA = Precompiled(
    lambda registry, subject: RegistryRecord.objects.filter(
        registry_id=registry, subject_id=subject
    ).values_list("data", flat=True)[:1]
)


class LocalTableConnector(BaseConnector):
    # Reads the database on the caller's connection (and transaction): never in a thread.
    remote = False

    def read(self, *, registry: Registry, subject_id: str) -> RegistryResult:
        found = _RECORD_DATA.all(registry=registry.pk, subject=subject_id)
        if not found:
            return RegistryResult(data=None, source="local")
        data = dict(found[0])
        body = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
        return RegistryResult(
            data=data, raw_body=body, content_type="application/json", source="local"
        )


class _RetryableError(Exception):
    """A failure worth another try: no connection, a timeout, a 5xx."""


class HttpConnector(BaseConnector):
    # Only network I/O: safe to run in a thread beside other reads.
    remote = True

    """A department's registry behind its own JSON endpoint.

    The request is ``POST <endpoint_url>`` with ``{"registry": code, "subject_id": id}``
    (the identity number travels in the body, never in a URL that access logs
    keep). ``200`` with a JSON object is the record, ``404`` means the registry
    holds none. Connection errors, timeouts and ``5xx`` answers are tried again
    with exponential backoff (``backoff``, ``2 × backoff``, ``4 × backoff``...);
    any other status is a definite answer and is not repeated. Plain ``http://``
    endpoints are refused unless explicitly allowed (tests, a local network).

    Settings (read at every call, so ``override_settings`` works):
    ``REGISTRY_HTTP_TIMEOUT`` seconds per attempt, ``REGISTRY_HTTP_RETRIES``
    further attempts, ``REGISTRY_HTTP_BACKOFF`` seconds before the first retry,
    ``REGISTRY_HTTP_ALLOW_PLAIN_HTTP``, ``REGISTRY_HTTP_MAX_BYTES``.
    """

    user_agent = "OneWindow registry connector"

    def __init__(
        self,
        *,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        allow_plain_http: bool | None = None,
        max_bytes: int | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._allow_plain_http = allow_plain_http
        self._max_bytes = max_bytes
        self._session = session

    # Explicit arguments win; otherwise the settings of the moment.
    @property
    def timeout(self) -> float:
        return float(self._setting(self._timeout, "REGISTRY_HTTP_TIMEOUT", 5.0))

    @property
    def retries(self) -> int:
        return max(0, int(self._setting(self._retries, "REGISTRY_HTTP_RETRIES", 2)))

    @property
    def backoff(self) -> float:
        return float(self._setting(self._backoff, "REGISTRY_HTTP_BACKOFF", 0.5))

    @property
    def allow_plain_http(self) -> bool:
        return bool(self._setting(self._allow_plain_http, "REGISTRY_HTTP_ALLOW_PLAIN_HTTP", False))

    @property
    def max_bytes(self) -> int:
        return int(self._setting(self._max_bytes, "REGISTRY_HTTP_MAX_BYTES", 1_000_000))

    @staticmethod
    def _setting(explicit: Any, name: str, default: Any) -> Any:
        return explicit if explicit is not None else getattr(settings, name, default)

    def read(self, *, registry: Registry, subject_id: str) -> RegistryResult:
        url = self._checked_url(registry)
        payload = {"registry": registry.code, "subject_id": subject_id}
        attempts = 1 + self.retries
        last_error = ""
        for attempt in range(1, attempts + 1):
            try:
                return self._attempt(url=url, payload=payload, attempt=attempt)
            except _RetryableError as error:
                last_error = str(error)
                logger.warning(
                    "registry %s: attempt %d of %d failed: %s",
                    registry.code,
                    attempt,
                    attempts,
                    last_error,
                )
                if attempt < attempts:
                    time.sleep(self.backoff * 2 ** (attempt - 1))
        raise RegistryUnavailableError(
            f"registry {registry.code} did not answer after {attempts} attempts: {last_error}"
        )

    def _checked_url(self, registry: Registry) -> str:
        url = (registry.endpoint_url or "").strip()
        scheme = urlsplit(url).scheme.lower()
        if scheme == "https" or (scheme == "http" and self.allow_plain_http):
            return url
        if scheme == "http":
            raise RegistryUnavailableError(
                f"registry {registry.code}: plain http endpoints are not allowed, use https"
            )
        raise RegistryUnavailableError(f"registry {registry.code}: no usable endpoint URL")

    def _attempt(self, *, url: str, payload: dict[str, str], attempt: int) -> RegistryResult:
        session = self._session or requests
        try:
            response = session.post(
                url,
                json=payload,
                timeout=self.timeout,
                headers={"Accept": "application/json", "User-Agent": self.user_agent},
                stream=True,
                allow_redirects=False,
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            raise _RetryableError(type(error).__name__) from error
        except requests.RequestException as error:
            raise RegistryUnavailableError(f"request failed: {error}") from error
        with response:
            try:
                body = self._body(response)
            except (requests.ConnectionError, requests.Timeout) as error:
                raise _RetryableError(f"reading the answer: {type(error).__name__}") from error
        status = response.status_code
        content_type = response.headers.get("Content-Type", "")
        if status >= 500:
            raise _RetryableError(f"HTTP {status}")
        if status == 404:
            return RegistryResult(
                data=None,
                raw_body=body,
                content_type=content_type,
                status_code=status,
                attempts=attempt,
                source=url,
            )
        if status != 200:
            raise RegistryUnavailableError(f"HTTP {status} from {url}")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise RegistryUnavailableError(f"the answer of {url} is not JSON") from error
        if not isinstance(data, dict):
            raise RegistryUnavailableError(f"the answer of {url} is not a JSON object")
        return RegistryResult(
            data=data,
            raw_body=body,
            content_type=content_type,
            status_code=status,
            attempts=attempt,
            source=url,
        )

    def _body(self, response: requests.Response) -> bytes:
        chunks = []
        size = 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > self.max_bytes:
                raise RegistryUnavailableError(
                    f"the answer is larger than {self.max_bytes} bytes; refused"
                )
            chunks.append(chunk)
        return b"".join(chunks)


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
