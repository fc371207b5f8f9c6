"""The public tracking read (``/track/`` and ``GET /api/v1/track/<no>/``), made cheap.

``track_lookup`` answers "tracking number + last four characters of the ID number" with
the case's public view (``selectors.case_public_view``'s shape), or ``None``.

On PostgreSQL it is **one query**: the case row, the suffix check and every public part
of the answer (items, public timeline, what is missing, the parcel, the certificates) are
built by the database as one JSON document, so a lookup costs one round trip and no ORM
query compilation (the ORM path costs six queries and most of the request's CPU time).
Every other database (the embedded SQLite) takes the portable ORM path; both give the
same answer, which a test checks for a case in every state.

A wrong suffix and an unknown number take the very same single query and both get no
row: the suffix is compared inside the query, so neither the answer nor the number of
round trips tells them apart.

The API goes one step further on PostgreSQL (``track_answer_json``): one statement per
language checks the client's tracking throttle and writes the API's final JSON, so the
row's text is the response body. Both run through Django's cursor wrapper on a psycopg
``RawCursor``, and psycopg prepares them on the server (``_fetch_one``).

One module per concern: ``lookup`` (``track_lookup``, and the document turned into the
public view), ``answer`` (``track_answer_json``), ``statements`` (the SQL text of both
statements), ``labels`` (the wording both answers share), ``verify`` (a certificate's
verify path) and ``cursor`` (how a statement runs).
"""

from __future__ import annotations

from .answer import track_answer_json
from .lookup import track_lookup
from .statements import TRACK_SQL
from .verify import verify_path_template

__all__ = ["TRACK_SQL", "track_answer_json", "track_lookup", "verify_path_template"]
