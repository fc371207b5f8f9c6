"""Writing the checked rows: set-based on PostgreSQL (COPY into a temporary table, then
one statement), chunked upserts on SQLite. A writer writes nothing final while the input
has a problem (``is_complete``); the import's transaction rolls back what it began."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.db import connection
from django.utils import timezone

from departments.models import Registry, RegistryRecord

from .checking import Row


class PostgresqlWriter:
    """COPY into a temporary table as the lines come, then move them into place with one
    statement each: the set-based path for millions of rows."""

    staging = "registry_import_rows"

    def __init__(self, *, registry: Registry, replace: bool, chunk_size: int) -> None:
        self.registry = registry
        self.replace = replace

    def run(self, rows: Iterator[Row], *, is_complete: Callable[[], bool]) -> int:
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


class SqliteWriter:
    """The embedded default (SQLite): one bulk upsert per chunk.

    With ``replace``, the subjects seen so far are kept in a temporary table of the
    database, not in memory, and one ``DELETE`` at the end removes the others: the ORM
    has no temporary tables, hence the few lines of plain SQL."""

    seen = "registry_import_seen"

    def __init__(self, *, registry: Registry, replace: bool, chunk_size: int) -> None:
        self.registry = registry
        self.replace = replace
        self.chunk_size = chunk_size

    def run(self, rows: Iterator[Row], *, is_complete: Callable[[], bool]) -> int:
        if self.replace:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.seen}")
                cursor.execute(f"CREATE TEMPORARY TABLE {self.seen} (subject_id TEXT PRIMARY KEY)")
        chunk: list[Row] = []
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

    def _write(self, chunk: list[Row]) -> None:
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
