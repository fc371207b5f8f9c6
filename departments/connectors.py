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

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import requests
from django.conf import settings

from onewindow.precompiled import Precompiled

from .constants import ConnectorKind
from .models import Registry, RegistryRecord
from .selectors import registry_records_data

logger = logging.getLogger(__name__)

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


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _unique(subject_ids: Sequence[str]) -> list[str]:
    """The ids once each, in the order first asked."""
    return list(dict.fromkeys(subject_ids))


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

    def read_many(
        self, *, registry: Registry, subject_ids: Sequence[str], purpose: str
    ) -> dict[str, dict[str, Any] | None]:
        """One query per ``REGISTRY_BATCH_SIZE`` subjects (default 5000), whatever their number."""
        unique = _unique(subject_ids)
        answer: dict[str, dict[str, Any] | None] = dict.fromkeys(unique)
        size = max(1, int(getattr(settings, "REGISTRY_BATCH_SIZE", 5000)))
        for chunk in _chunks(unique, size):
            answer.update(registry_records_data(registry_id=registry.pk, subject_ids=chunk))
        return answer


class _RetryableError(Exception):
    """A failure worth another try: no connection, a timeout, a 5xx."""


@dataclass(frozen=True)
class _Answer:
    """One HTTP answer as received, before it is read as a record or as a batch."""

    status_code: int
    body: bytes
    content_type: str
    attempts: int


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

    The batch read is ``POST <endpoint_url>/batch`` with ``{"registry": code,
    "subject_ids": [...], "purpose": "..."}``, answered ``200 {"records": {"<id>":
    {...} | null}}``, one request per ``batch_size`` subjects, retried like the single
    read. An answer that leaves out a subject asked, or says anything but an object or
    ``null`` about one, is not a reading: the whole chunk is unavailable.

    Settings (read at every call, so ``override_settings`` works):
    ``REGISTRY_HTTP_TIMEOUT`` seconds per attempt, ``REGISTRY_HTTP_RETRIES``
    further attempts, ``REGISTRY_HTTP_BACKOFF`` seconds before the first retry,
    ``REGISTRY_HTTP_ALLOW_PLAIN_HTTP``, ``REGISTRY_HTTP_MAX_BYTES``; for the batch
    read ``REGISTRY_HTTP_BATCH_SIZE``, ``REGISTRY_HTTP_BATCH_TIMEOUT`` and
    ``REGISTRY_HTTP_BATCH_MAX_BYTES``.
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
        batch_size: int | None = None,
        batch_timeout: float | None = None,
        batch_max_bytes: int | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._allow_plain_http = allow_plain_http
        self._max_bytes = max_bytes
        self._batch_size = batch_size
        self._batch_timeout = batch_timeout
        self._batch_max_bytes = batch_max_bytes
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

    @property
    def batch_size(self) -> int:
        return max(1, int(self._setting(self._batch_size, "REGISTRY_HTTP_BATCH_SIZE", 1000)))

    @property
    def batch_timeout(self) -> float:
        return float(self._setting(self._batch_timeout, "REGISTRY_HTTP_BATCH_TIMEOUT", 30.0))

    @property
    def batch_max_bytes(self) -> int:
        return int(
            self._setting(self._batch_max_bytes, "REGISTRY_HTTP_BATCH_MAX_BYTES", 50_000_000)
        )

    @staticmethod
    def _setting(explicit: Any, name: str, default: Any) -> Any:
        return explicit if explicit is not None else getattr(settings, name, default)

    def read(self, *, registry: Registry, subject_id: str) -> RegistryResult:
        url = self._checked_url(registry)
        payload = {"registry": registry.code, "subject_id": subject_id}
        answer = self._with_retries(
            registry,
            lambda attempt: self._post(
                url=url,
                payload=payload,
                timeout=self.timeout,
                max_bytes=self.max_bytes,
                attempt=attempt,
            ),
        )
        return self._record(answer, url=url)

    def read_many(
        self, *, registry: Registry, subject_ids: Sequence[str], purpose: str
    ) -> dict[str, dict[str, Any] | None]:
        """One ``POST <endpoint>/batch`` per ``batch_size`` subjects; all of them or an error."""
        url = self._checked_url(registry).rstrip("/") + "/batch"
        unique = _unique(subject_ids)
        records: dict[str, dict[str, Any] | None] = {}
        for chunk in _chunks(unique, self.batch_size):
            payload = {"registry": registry.code, "subject_ids": list(chunk), "purpose": purpose}
            answer = self._with_retries(
                registry,
                lambda attempt, payload=payload: self._post(
                    url=url,
                    payload=payload,
                    timeout=self.batch_timeout,
                    max_bytes=self.batch_max_bytes,
                    attempt=attempt,
                ),
            )
            records.update(self._batch_records(answer, url=url, subject_ids=chunk))
        return records

    def _with_retries(self, registry: Registry, attempt_once: Callable[[int], T]) -> T:
        """``attempt_once(attempt)`` until it answers, with exponential backoff between
        tries on ``_RetryableError``; ``RegistryUnavailableError`` once they are spent."""
        attempts = 1 + self.retries
        last_error = ""
        for attempt in range(1, attempts + 1):
            try:
                return attempt_once(attempt)
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

    def _post(
        self, *, url: str, payload: dict[str, Any], timeout: float, max_bytes: int, attempt: int
    ) -> _Answer:
        """One POST: the answer as received, or ``_RetryableError`` for what is worth retrying."""
        session = self._session or requests
        try:
            response = session.post(
                url,
                json=payload,
                timeout=timeout,
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
                body = self._body(response, max_bytes=max_bytes)
            except (requests.ConnectionError, requests.Timeout) as error:
                raise _RetryableError(f"reading the answer: {type(error).__name__}") from error
        if response.status_code >= 500:
            raise _RetryableError(f"HTTP {response.status_code}")
        return _Answer(
            status_code=response.status_code,
            body=body,
            content_type=response.headers.get("Content-Type", ""),
            attempts=attempt,
        )

    def _record(self, answer: _Answer, *, url: str) -> RegistryResult:
        status = answer.status_code
        if status == 404:
            return RegistryResult(
                data=None,
                raw_body=answer.body,
                content_type=answer.content_type,
                status_code=status,
                attempts=answer.attempts,
                source=url,
            )
        data = self._json_object(answer, url=url)
        return RegistryResult(
            data=data,
            raw_body=answer.body,
            content_type=answer.content_type,
            status_code=status,
            attempts=answer.attempts,
            source=url,
        )

    def _batch_records(
        self, answer: _Answer, *, url: str, subject_ids: Sequence[str]
    ) -> dict[str, dict[str, Any] | None]:
        records = self._json_object(answer, url=url).get("records")
        if not isinstance(records, dict):
            raise RegistryUnavailableError(f'the answer of {url} has no "records" object')
        missing = [subject_id for subject_id in subject_ids if subject_id not in records]
        if missing:
            raise RegistryUnavailableError(
                f"the answer of {url} leaves out {len(missing)} of the "
                f"{len(subject_ids)} subjects asked"
            )
        answered = {subject_id: records[subject_id] for subject_id in subject_ids}
        malformed = sum(
            1 for record in answered.values() if record is not None and not isinstance(record, dict)
        )
        if malformed:
            raise RegistryUnavailableError(
                f"the answer of {url} holds {malformed} records that are neither an object nor null"
            )
        return answered

    @staticmethod
    def _json_object(answer: _Answer, *, url: str) -> dict[str, Any]:
        if answer.status_code != 200:
            raise RegistryUnavailableError(f"HTTP {answer.status_code} from {url}")
        try:
            data = json.loads(answer.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise RegistryUnavailableError(f"the answer of {url} is not JSON") from error
        if not isinstance(data, dict):
            raise RegistryUnavailableError(f"the answer of {url} is not a JSON object")
        return data

    @staticmethod
    def _body(response: requests.Response, *, max_bytes: int) -> bytes:
        chunks = []
        size = 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > max_bytes:
                raise RegistryUnavailableError(
                    f"the answer is larger than {max_bytes} bytes; refused"
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
