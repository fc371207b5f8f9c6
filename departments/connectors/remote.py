"""The HTTP connector: a department's own registry system, asked over HTTPS with JSON."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from django.conf import settings

from ..models import Registry
from .base import BaseConnector, RegistryResult, RegistryUnavailableError, chunks, unique_ids

logger = logging.getLogger("departments.connectors")

T = TypeVar("T")


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
        unique = unique_ids(subject_ids)
        records: dict[str, dict[str, Any] | None] = {}
        for chunk in chunks(unique, self.batch_size):
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
