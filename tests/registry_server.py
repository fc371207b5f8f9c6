"""A department's registry system on a real local HTTP server, for tests.

``RegistryServer`` is ``http.server``'s ``ThreadingHTTPServer`` on a free loopback port,
serving from an in-memory dict of records what ``HttpConnector`` asks:

* ``POST <any path>`` with ``{"registry": code, "subject_id": id}``: ``200`` and the
  record, or ``404`` when there is none (the single read);
* ``POST <any path>/batch`` with ``{"registry": code, "subject_ids": [...], "purpose":
  ...}``: ``200 {"records": {"<id>": {...} | null}}`` (the batch read).

Records are ``server.records`` (every registry), or ``server.registries[code]`` for a
registry of its own. Failures are switched on and off while it runs: ``fail(503)``,
``hang(seconds)`` (past the client's timeout), ``answer(body)`` (bad JSON or any other
body), ``omit(*ids)`` (a batch answer that leaves ids out), each for the next ``times``
requests or until ``heal()``. It counts what it receives, so retries and chunking
are observed, not assumed: ``requests`` (every one, with its path and JSON body),
``batch_ids`` (the ids of each batch request) and ``single_ids``.

    with RegistryServer(records={"110...": {"status": "正常"}}) as server:
        registry = RegistryFactory(connector=ConnectorKind.HTTP, endpoint_url=server.url)

or take the ``registry_server`` fixture (tests/conftest.py offers it everywhere).
HttpConnector refuses plain http unless ``REGISTRY_HTTP_ALLOW_PLAIN_HTTP`` (or
``allow_plain_http=True``).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    body: Any  # the decoded JSON, or None when the body was not JSON


@dataclass
class _Failure:
    kind: str  # "status", "hang", "answer", "omit"
    times: int | None  # further requests it applies to; None: until heal()
    status: int = 503
    seconds: float = 0.0
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    omitted: frozenset[str] = field(default_factory=frozenset)


class RegistryServer:
    def __init__(
        self,
        records: dict[str, dict[str, Any]] | None = None,
        *,
        registries: dict[str, dict[str, dict[str, Any]]] | None = None,
    ) -> None:
        self.records: dict[str, dict[str, Any]] = dict(records or {})
        self.registries: dict[str, dict[str, dict[str, Any]]] = dict(registries or {})
        self.requests: list[ReceivedRequest] = []
        self.hits: Counter[str] = Counter()
        self.batch_ids: list[list[str]] = []
        self.single_ids: list[str] = []
        self._failure: _Failure | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- running ---------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> RegistryServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # hanging answers give up at once
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> RegistryServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- failures --------------------------------------------------------------

    def fail(self, status: int = 503, *, times: int | None = None) -> None:
        """Answer ``status`` (default 503) to the next ``times`` requests (None: all)."""
        self._set(_Failure("status", times, status=status))

    def hang(self, seconds: float, *, times: int | None = None) -> None:
        """Wait ``seconds`` before answering (normally) the next ``times`` requests."""
        self._set(_Failure("hang", times, seconds=seconds))

    def answer(
        self,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "application/json; charset=utf-8",
        times: int | None = None,
    ) -> None:
        """Answer exactly ``body`` (bad JSON, a JSON list, a malformed ``records``...)."""
        self._set(_Failure("answer", times, status=status, body=body, content_type=content_type))

    def omit(self, *subject_ids: str, times: int | None = None) -> None:
        """Batch answers leave these ids out (single reads are not affected)."""
        self._set(_Failure("omit", times, omitted=frozenset(subject_ids)))

    def heal(self) -> None:
        self._set(None)

    def _set(self, failure: _Failure | None) -> None:
        with self._lock:
            self._failure = failure

    def _take_failure(self) -> _Failure | None:
        with self._lock:
            failure = self._failure
            if failure is not None and failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self._failure = None
            return failure

    # --- counts ----------------------------------------------------------------

    @property
    def request_count(self) -> int:
        return len(self.requests)

    @property
    def batch_request_count(self) -> int:
        return len(self.batch_ids)

    def records_of(self, registry_code: str | None) -> dict[str, dict[str, Any]]:
        return self.registries.get(registry_code or "", self.records)

    # --- answering (in the server's threads) -----------------------------------

    def _respond(self, path: str, raw: bytes) -> tuple[int, bytes, str]:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        is_batch = path.rstrip("/").endswith("/batch")
        with self._lock:
            self.requests.append(ReceivedRequest(path=path, body=body))
            self.hits[path] += 1
            if isinstance(body, dict):
                if is_batch:
                    self.batch_ids.append(list(body.get("subject_ids") or []))
                else:
                    self.single_ids.append(str(body.get("subject_id")))
        failure = self._take_failure()
        json_type = "application/json; charset=utf-8"
        if failure is not None:
            if failure.kind == "status":
                return failure.status, b'{"detail": "unavailable"}', json_type
            if failure.kind == "answer":
                return failure.status, failure.body, failure.content_type
            if failure.kind == "hang" and self._stopping.wait(failure.seconds):
                return 503, b'{"detail": "shutting down"}', json_type
        if not isinstance(body, dict):
            return 400, b'{"detail": "a JSON object is expected"}', json_type
        records = self.records_of(body.get("registry"))
        if is_batch:
            omitted = failure.omitted if failure is not None else frozenset()
            answer = {
                subject_id: records.get(subject_id)
                for subject_id in body.get("subject_ids") or []
                if subject_id not in omitted
            }
            return 200, _json({"records": answer}), json_type
        record = records.get(body.get("subject_id"))
        if record is None:
            return 404, b'{"detail": "no such subject"}', json_type
        return 200, _json(record), json_type


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _handler_for(server: RegistryServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            length = int(self.headers.get("Content-Length") or 0)
            status, body, content_type = server._respond(self.path, self.rfile.read(length))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # The client may have given up waiting (the timeout tests): nothing to answer then.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    return Handler


@pytest.fixture
def registry_server() -> Iterator[RegistryServer]:
    """A started ``RegistryServer`` without records; stopped after the test."""
    with RegistryServer() as server:
        yield server
