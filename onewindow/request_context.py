"""The id of the request being served, or of the request whose task runs now.

The variable lives here, below every app, so that any app can read it: ``operations``
sets it (its middleware and Celery signal receivers, ``operations/request_id.py``) and
``cases`` keeps it on an outbox job, so that a job republished later by the sweeper still
carries the id of the request that made it necessary. Data flows one way: ``cases`` never
imports ``operations``.

Kept in a ``contextvars`` variable: each thread, and each task of a thread pool, has its
own; asgiref carries it into and out of async views.
"""

from __future__ import annotations

import contextvars

# The longest id believed from a reverse proxy (nginx's ``$request_id`` is 32 hexadecimal
# digits; ours are too): what an outbox job can store.
REQUEST_ID_MAX_LENGTH = 128
# The Celery message header that carries it to the worker.
TASK_HEADER = "request_id"

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "onewindow_request_id", default=None
)


def current_request_id() -> str | None:
    """The id of the request (or of the request that published the task) running now."""
    return request_id_var.get()
