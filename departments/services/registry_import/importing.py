"""The import itself: one transaction, the registry locked, every line checked, and the
rows written only when not a single line is bad."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext

from departments.models import Registry, RegistryRecord

from .checking import LineProblem, RegistrySnapshotError, Row, checked_record, parsed_lines
from .writers import PostgresqlWriter, SqliteWriter

DEFAULT_CHUNK_SIZE = 5000
DEFAULT_MAX_PROBLEMS = 20


@dataclass(frozen=True)
class ImportSummary:
    """What the import did: ``records`` read, ``inserted`` + ``updated`` == ``records``."""

    records: int
    inserted: int
    updated: int
    deleted: int


def registry_snapshot_import(
    *,
    registry: Registry,
    lines: Iterable[str | bytes],
    replace: bool = False,
    progress: Callable[[int], None] | None = None,
    chunk_size: int | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> ImportSummary:
    """Load a JSON Lines snapshot (lines as ``str``, or ``bytes`` in UTF-8: an open file
    in binary mode will do) into ``registry``; all or nothing.

    ``progress(n)`` is called after every ``chunk_size`` lines with the number handled
    since its last call. Raises ``RegistrySnapshotError`` and writes nothing when a
    line is bad."""
    return _import(
        registry=registry,
        items=parsed_lines(lines),
        replace=replace,
        progress=progress,
        chunk_size=chunk_size,
        max_problems=max_problems,
    )


def registry_records_import(
    *,
    registry: Registry,
    records: Iterable[tuple[str, Mapping[str, Any]]],
    replace: bool = False,
    progress: Callable[[int], None] | None = None,
    chunk_size: int | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> ImportSummary:
    """The same import from ``(subject_id, data)`` pairs (a generator will do), checked the
    same way; a problem's "line" is the pair's position, counted from 1."""
    return _import(
        registry=registry,
        items=(
            checked_record(number, subject_id, data)
            for number, (subject_id, data) in enumerate(records, start=1)
        ),  # fmt: skip
        replace=replace,
        progress=progress,
        chunk_size=chunk_size,
        max_problems=max_problems,
    )


class _Tally:
    """Counts what goes by, keeps the first problems, and lets valid rows through only
    while there is no problem: after the first one nothing will be written, so the rest
    of the input is only checked."""

    def __init__(self, *, max_problems: int, progress: Callable[[int], None] | None, every: int):
        self.records = 0
        self.problem_count = 0
        self.problems: list[LineProblem] = []
        self._max_problems = max_problems
        self._progress = progress
        self._every = every
        self._unreported = 0

    def valid_rows(self, items: Iterable[Row | LineProblem | None]) -> Iterator[Row]:
        for item in items:
            self._unreported += 1
            if self._progress is not None and self._unreported >= self._every:
                self._progress(self._unreported)
                self._unreported = 0
            if item is None:
                continue
            if isinstance(item, LineProblem):
                self.problem_count += 1
                if len(self.problems) < self._max_problems:
                    self.problems.append(item)
                continue
            self.records += 1
            if not self.problem_count:
                yield item
        if self._progress is not None and self._unreported:
            self._progress(self._unreported)
            self._unreported = 0


def _import(
    *,
    registry: Registry,
    items: Iterable[Row | LineProblem | None],
    replace: bool,
    progress: Callable[[int], None] | None,
    chunk_size: int | None,
    max_problems: int,
) -> ImportSummary:
    size = max(
        1, int(chunk_size or getattr(settings, "REGISTRY_IMPORT_CHUNK_SIZE", DEFAULT_CHUNK_SIZE))
    )
    tally = _Tally(max_problems=max(0, max_problems), progress=progress, every=size)
    writer = PostgresqlWriter if connection.vendor == "postgresql" else SqliteWriter
    with transaction.atomic():
        # One import of a registry at a time: a second waits for the first to finish.
        Registry.objects.select_for_update().only("pk").get(pk=registry.pk)
        records = RegistryRecord.objects.filter(registry_id=registry.pk)
        before = records.count()
        deleted = writer(registry=registry, replace=replace, chunk_size=size).run(
            tally.valid_rows(items), is_complete=lambda: not tally.problem_count
        )
        if tally.problem_count:
            # Leaving the block by an exception rolls back everything written above.
            raise RegistrySnapshotError(tally.problems, tally.problem_count)
        if replace and not tally.records:
            raise RegistrySnapshotError(
                [],
                0,
                gettext("快照中没有任何记录：--replace 不会清空共享数据库，没有写入任何数据。"),
            )
        inserted = records.count() - before + deleted
    return ImportSummary(
        records=tally.records,
        inserted=inserted,
        updated=tally.records - inserted,
        deleted=deleted,
    )
