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
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from departments.identifiers import (
    mask_id_number,
    normalise_identifier,
    validate_resident_id,
    validate_uscc,
)
from departments.models import Registry, RegistryRecord

DEFAULT_CHUNK_SIZE = 5000
DEFAULT_MAX_PROBLEMS = 20

# ``\u0000`` preceded by an even number of backslashes is a NUL character (an odd
# number makes it the text "\u0000"): PostgreSQL's jsonb cannot hold one.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_MISSING = object()


@dataclass(frozen=True)
class LineProblem:
    """Why one line of the input cannot be imported (lines count from 1, empty ones too)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return gettext("第%(line)d行：%(reason)s") % {"line": self.line, "reason": self.reason}


class RegistrySnapshotError(Exception):
    """Nothing was imported: ``problems`` are the first bad lines, ``count`` all of them."""

    def __init__(self, problems: list[LineProblem], count: int, message: str = "") -> None:
        self.problems = list(problems)
        self.count = count
        super().__init__(message or self._message())

    def _message(self) -> str:
        lines = [
            ngettext(
                "快照未导入，没有写入任何数据：%(count)d 行有误。",
                "快照未导入，没有写入任何数据：%(count)d 行有误。",
                self.count,
            )
            % {"count": self.count}
        ]
        lines += [str(problem) for problem in self.problems]
        more = self.count - len(self.problems)
        if more > 0:
            lines.append(
                ngettext("……另有 %(more)d 行有误。", "……另有 %(more)d 行有误。", more)
                % {"more": more}
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class ImportSummary:
    """What the import did: ``records`` read, ``inserted`` + ``updated`` == ``records``."""

    records: int
    inserted: int
    updated: int
    deleted: int


# One valid record: line number, normalised subject ID, data and its JSON text.
_Row = tuple[int, str, dict[str, Any], str]


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
        items=_parsed_lines(lines),
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
            _checked(number, subject_id, data)
            for number, (subject_id, data) in enumerate(records, start=1)
        ),  # fmt: skip
        replace=replace,
        progress=progress,
        chunk_size=chunk_size,
        max_problems=max_problems,
    )


# --- checking each line ----------------------------------------------------------


def _parsed_lines(lines: Iterable[str | bytes]) -> Iterator[_Row | LineProblem | None]:
    """Each line as a row or a problem; ``None`` for an empty line (skipped)."""
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                yield LineProblem(number, gettext("不是UTF-8编码的文本。"))
                continue
        else:
            text = line
        if number == 1:
            text = text.removeprefix("\ufeff")
        if not text.strip():
            yield None
            continue
        try:
            value = json.loads(text)
        except ValueError as error:
            column = getattr(error, "colno", 0)
            yield LineProblem(
                number, gettext("不是有效的JSON（第%(column)d列出错）。") % {"column": column}
            )
            continue
        if not isinstance(value, dict):
            yield LineProblem(
                number, gettext('不是JSON对象；每行应为 {"subject_id": "...", "data": {...}}。')
            )
            continue
        yield _checked(number, value.get("subject_id", _MISSING), value.get("data", _MISSING))


def _checked(number: int, subject_id: Any, data: Any) -> _Row | LineProblem:
    if subject_id is _MISSING or subject_id is None or subject_id == "":
        return LineProblem(number, gettext("缺少 subject_id，或它是空的。"))
    if not isinstance(subject_id, str):
        return LineProblem(number, gettext("subject_id 必须是字符串。"))
    normalised = normalise_identifier(subject_id)
    if not normalised:
        return LineProblem(number, gettext("缺少 subject_id，或它是空的。"))
    problem = _identifier_problem(normalised)
    if problem:
        return LineProblem(number, problem)
    if data is _MISSING:
        return LineProblem(number, gettext("缺少 data。"))
    if not isinstance(data, Mapping):
        return LineProblem(number, gettext("data 必须是JSON对象。"))
    data = dict(data)
    text = json.dumps(data, ensure_ascii=False)
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        return LineProblem(number, gettext("data 含有空字符（\\u0000），数据库不能保存。"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return LineProblem(number, gettext("data 含有无效的Unicode字符（单独的代理码点）。"))
    return number, normalised, data, text


# How far a number got through each validator: the kind it failed latest is the one
# it was meant to be (a resident ID with a wrong check digit fails the credit code's
# region already), so its message is the one shown.
_RESIDENT_ID_STEPS = ["resident_id_length", "resident_id_characters", "resident_id_region",
                      "resident_id_birth_date", "resident_id_check"]  # fmt: skip
_USCC_STEPS = ["uscc_length", "uscc_characters", "uscc_authority", "uscc_region", "uscc_check"]


def _identifier_problem(number: str) -> str:
    """ "" for a valid resident ID or credit code; otherwise what is wrong with it, as the
    kind of number it came closer to being."""
    try:
        validate_resident_id(number)
        return ""
    except ValidationError as error:
        resident_error = error
    try:
        validate_uscc(number)
        return ""
    except ValidationError as error:
        uscc_error = error
    resident_step = _step(resident_error, _RESIDENT_ID_STEPS)
    closer = uscc_error if _step(uscc_error, _USCC_STEPS) > resident_step else resident_error
    return gettext(
        "subject_id %(subject)s 既不是有效的居民身份证号码，也不是有效的统一社会信用代码：%(reason)s"
    ) % {"subject": mask_id_number(number), "reason": closer.messages[0]}


def _step(error: ValidationError, steps: list[str]) -> int:
    return steps.index(error.code) if error.code in steps else -1


# --- writing -------------------------------------------------------------------


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

    def valid_rows(self, items: Iterable[_Row | LineProblem | None]) -> Iterator[_Row]:
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
    items: Iterable[_Row | LineProblem | None],
    replace: bool,
    progress: Callable[[int], None] | None,
    chunk_size: int | None,
    max_problems: int,
) -> ImportSummary:
    size = max(
        1, int(chunk_size or getattr(settings, "REGISTRY_IMPORT_CHUNK_SIZE", DEFAULT_CHUNK_SIZE))
    )
    tally = _Tally(max_problems=max(0, max_problems), progress=progress, every=size)
    writer = _PostgresqlWriter if connection.vendor == "postgresql" else _SqliteWriter
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


class _PostgresqlWriter:
    """COPY into a temporary table as the lines come, then move them into place with one
    statement each: the set-based path for millions of rows."""

    staging = "registry_import_rows"

    def __init__(self, *, registry: Registry, replace: bool, chunk_size: int) -> None:
        self.registry = registry
        self.replace = replace

    def run(self, rows: Iterator[_Row], *, is_complete: Callable[[], bool]) -> int:
        table = connection.ops.quote_name(RegistryRecord._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.staging}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.staging} (line bigint NOT NULL, "
                "subject_id varchar(18) NOT NULL, data jsonb NOT NULL) ON COMMIT DROP"
            )
            # psycopg 3's COPY, reached through Django's cursor: rows stream to the server
            # in psycopg's own buffer-sized blocks while the input is read.
            with cursor.copy(f"COPY {self.staging} (line, subject_id, data) FROM STDIN") as copy:
                for line, subject_id, _data, text in rows:
                    copy.write_row((line, subject_id, text))
            if not is_complete():
                return 0
            # The planner knows nothing of a fresh temporary table (autovacuum never sees it).
            cursor.execute(f"ANALYZE {self.staging}")
            deleted = 0
            if self.replace:
                cursor.execute(
                    f"DELETE FROM {table} AS record WHERE record.registry_id = %s AND NOT EXISTS "
                    f"(SELECT 1 FROM {self.staging} AS row WHERE row.subject_id = record.subject_id)",
                    [self.registry.pk],
                )
                deleted = cursor.rowcount
            # DISTINCT ON: the last line of a subject wins, and no row is touched twice
            # (which ON CONFLICT DO UPDATE refuses).
            cursor.execute(
                f"INSERT INTO {table} (registry_id, subject_id, data, updated_at) "
                f"SELECT DISTINCT ON (subject_id) %s, subject_id, data, %s FROM {self.staging} "
                "ORDER BY subject_id, line DESC "
                "ON CONFLICT (registry_id, subject_id) "
                "DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at",
                [self.registry.pk, timezone.now()],
            )
            cursor.execute(f"DROP TABLE {self.staging}")
        return deleted


class _SqliteWriter:
    """The embedded default (SQLite): one bulk upsert per chunk.

    With ``replace``, the subjects seen so far are kept in a temporary table of the
    database, not in memory, and one ``DELETE`` at the end removes the others: the ORM
    has no temporary tables, hence the few lines of plain SQL."""

    seen = "registry_import_seen"

    def __init__(self, *, registry: Registry, replace: bool, chunk_size: int) -> None:
        self.registry = registry
        self.replace = replace
        self.chunk_size = chunk_size

    def run(self, rows: Iterator[_Row], *, is_complete: Callable[[], bool]) -> int:
        if self.replace:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.seen}")
                cursor.execute(f"CREATE TEMPORARY TABLE {self.seen} (subject_id TEXT PRIMARY KEY)")
        chunk: list[_Row] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= self.chunk_size:
                self._write(chunk)
                chunk = []
        if not is_complete():
            return 0
        if chunk:
            self._write(chunk)
        if not self.replace:
            return 0
        table = connection.ops.quote_name(RegistryRecord._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE registry_id = %s "
                f"AND subject_id NOT IN (SELECT subject_id FROM {self.seen})",
                [self.registry.pk],
            )
            deleted = cursor.rowcount
            cursor.execute(f"DROP TABLE {self.seen}")
        return deleted

    def _write(self, chunk: list[_Row]) -> None:
        # Within a chunk the last line of a subject wins (a dict keeps the last value);
        # across chunks the later upsert simply replaces the earlier one.
        latest = {subject_id: data for _line, subject_id, data, _text in chunk}
        RegistryRecord.objects.bulk_create(
            [
                RegistryRecord(registry_id=self.registry.pk, subject_id=subject_id, data=data)
                for subject_id, data in latest.items()
            ],
            update_conflicts=True,
            unique_fields=["registry", "subject_id"],
            update_fields=["data", "updated_at"],
        )
        if self.replace:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT OR IGNORE INTO {self.seen} (subject_id) VALUES (%s)",
                    [(subject_id,) for subject_id in latest],
                )
