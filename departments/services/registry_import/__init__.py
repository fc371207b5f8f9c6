"""Registry snapshots: a department's data set loaded from a JSON Lines file.

A department that cannot be asked online hands over a snapshot of its registry, one
JSON object a line: ``{"subject_id": "<resident ID or credit code>", "data": {...}}``.
``registry_snapshot_import`` loads it into the registry's local table (what
``LocalTableConnector`` reads), so a mass check such as a lottery round reads it like
any other registry. Existing subjects get the new data; with ``replace`` the snapshot
is the registry's whole content and subjects not in it are deleted.

All or nothing. The import runs in one transaction: every line is checked (JSON, an
object, a non-empty ``subject_id`` that is a valid resident ID or credit code by its
check character, ``data`` an object) and only an input without a single problem is
kept. The operator sees each bad line with its number and why (the first
``max_problems``, then how many more), and the registry stays as it was.

Whatever the size of the input, memory stays flat: lines are read one at a time and
written in chunks (never the whole input at once). On PostgreSQL they stream into a
temporary table by COPY, and one ``INSERT … SELECT … ON CONFLICT`` (with ``replace``,
one ``DELETE`` before it) moves them into place; on SQLite, the embedded default,
chunks go in by ``bulk_create(update_conflicts=True)``.

A subject on several lines: the last one wins (the snapshot is read in order, like a
change log). In the summary every record read either added a subject (``inserted``)
or replaced the data of one already there, an earlier line of the same input
included (``updated``).

One module per step: ``checking`` (each line), ``writers`` (per database) and
``importing`` (the transaction around them).
"""

from __future__ import annotations

from .checking import LineProblem, RegistrySnapshotError
from .importing import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_PROBLEMS,
    ImportSummary,
    registry_records_import,
    registry_snapshot_import,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_PROBLEMS",
    "ImportSummary",
    "LineProblem",
    "RegistrySnapshotError",
    "registry_records_import",
    "registry_snapshot_import",
]
