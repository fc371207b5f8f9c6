"""How a tracking statement runs: through Django's cursor wrapper on a psycopg ``RawCursor``."""

from __future__ import annotations

import time
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections


def _fetch_one(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    """The statement's first row, or None.

    Through a cursor of psycopg's public ``RawCursor`` class, on the connection Django
    opened and wrapped in Django's own cursor wrapper (``make_cursor``): Django's error
    translation and execute wrappers stay, and the query is logged when queries are. Why a raw cursor: the statement is written with
    PostgreSQL's own ``$n`` placeholders, so psycopg does not parse it for ``%s``
    (its parse cache keeps only statements under 4 KB, and these are longer: parsing
    them cost a tenth of a request's CPU). psycopg prepares it on the server once the
    connection has run it ``prepare_threshold`` times (``DATABASES`` ``OPTIONS``): from
    then on a lookup sends the statement's name and its parameters only."""
    from psycopg import RawCursor

    database = connections[DEFAULT_DB_ALIAS]
    database.ensure_connection()
    with database.make_cursor(RawCursor(database.connection)) as cursor:
        if not database.queries_logged:
            cursor.execute(sql, params)
            return cursor.fetchone()
        # Logged as Django's debug cursor logs a query (which cannot show this one: it
        # composes the SQL with %s placeholders, for display).
        started = time.monotonic()
        try:
            cursor.execute(sql, params)
            return cursor.fetchone()
        finally:
            duration = time.monotonic() - started
            database.queries_log.append({"sql": sql, "time": f"{duration:.3f}"})
