"""The request id: one short string that ties together every log line a request causes,
in the web process and in the Celery tasks it publishes.

It is the ``X-Request-ID`` our own reverse proxy sent (nginx's ``$request_id``), believed
only when the request came from one of ``TRUSTED_PROXIES`` (anyone else could choose the
id of a line they want to hide among), or else a new one. It goes back in the answer's
``X-Request-ID`` header, into every log record (``RequestIdLogFilter``) and into the
headers of every task published while the request runs (Celery's ``before_task_publish``);
a worker puts it back in place for the task's own log lines (``task_prerun``), so a task
that publishes further tasks hands it on. Tasks run in-process (the embedded mode) simply
run inside the request and keep its id.

The variable itself and ``current_request_id()`` live in ``onewindow/request_context.py``,
below every app, so that ``cases`` can keep the id on an outbox job (and a job the sweeper
republishes still carries it) without importing this app.
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from onewindow.client_address import trusted_proxy_networks
from onewindow.request_context import REQUEST_ID_MAX_LENGTH, TASK_HEADER
from onewindow.request_context import current_request_id as current_request_id
from onewindow.request_context import request_id_var as _request_id

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# What a proxy's id may look like: no spaces, quotes or line breaks that could forge a
# log line, and short. nginx's $request_id is 32 hexadecimal digits.
ACCEPTED = re.compile(rf"[A-Za-z0-9._:-]{{1,{REQUEST_ID_MAX_LENGTH}}}")

_task: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "onewindow_task", default=None
)


def new_request_id() -> str:
    return uuid.uuid4().hex


def _from_trusted_proxy(request: HttpRequest) -> bool:
    networks = trusted_proxy_networks()
    if not networks:
        return False
    try:
        peer = ipaddress.ip_address((request.META.get("REMOTE_ADDR") or "").strip())
    except ValueError:
        return False
    peer = getattr(peer, "ipv4_mapped", None) or peer
    return any(peer in network for network in networks)


def request_id_for(request: HttpRequest) -> str:
    """The proxy's id when a proxy of ours sent one that looks like an id, else a new one."""
    offered = request.META.get(META_KEY, "")
    if offered and ACCEPTED.fullmatch(offered) and _from_trusted_proxy(request):
        return offered
    return new_request_id()


class RequestIdMiddleware:
    """Listed right after the tracking fast path: every later middleware's and the view's
    log lines carry the id. No view or exception hook, so the fast path stays on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        # Not reset on the way out: Django logs a 4xx/5xx answer ("Not Found: ...") after
        # the middlewares returned; ``request_finished`` clears it once the answer is sent.
        _request_id.set(request_id)
        response = self.get_response(request)
        response.headers[HEADER] = request_id
        return response


def request_finished_clear_request_id(**kwargs: Any) -> None:
    """``request_finished``: what this thread logs next belongs to no request."""
    _request_id.set(None)


class RequestIdLogFilter(logging.Filter):
    """Puts ``request_id``, ``task_id`` and ``task_name`` on every record (``None`` when
    there is none), for the text and the JSON formats alike."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        task = _task.get()
        record.task_id, record.task_name = task if task is not None else (None, None)
        return True


# --- Celery (connected by OperationsConfig.ready) ---


def task_publish_add_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """``before_task_publish``: a task published during a request (or a task) carries its id."""
    request_id = _request_id.get()
    if request_id is not None and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


_tokens: dict[str, tuple[contextvars.Token, contextvars.Token]] = {}


def task_started_set_request_id(
    task_id: str | None = None, task: Any = None, **kwargs: Any
) -> None:
    """``task_prerun``: the worker's log lines of this task carry the publisher's id.

    A task run in-process (eager) runs inside its caller and keeps the caller's id."""
    request = getattr(task, "request", None)
    if request is None or task_id is None:
        return
    # A worker puts a message's own headers on the request; apply(headers=...) keeps
    # them in request.headers.
    request_id = getattr(request, TASK_HEADER, None) or (request.headers or {}).get(TASK_HEADER)
    if request_id is None and getattr(request, "is_eager", False):
        request_id = _request_id.get()
    _tokens[task_id] = (
        _request_id.set(request_id),
        _task.set((task_id, getattr(task, "name", ""))),
    )


def task_finished_reset_request_id(task_id: str | None = None, **kwargs: Any) -> None:
    """``task_postrun``: back to what was there before the task."""
    tokens = _tokens.pop(task_id, None) if task_id is not None else None
    if tokens is not None:
        request_token, task_token = tokens
        _task.reset(task_token)
        _request_id.reset(request_token)


def celery_keeps_django_logging(**kwargs: Any) -> None:
    """``setup_logging``: with a receiver connected, Celery configures no logging of its
    own, and Django's ``LOGGING`` (already applied by ``django.setup()``) stays."""
    return None
