"""The batch read of the sharing gateway: one registry, many subjects, one purpose.

The per-case gateway (``cases.services.sharing``) reads one subject for one case. A mass
check (a lottery round, an allowance's eligibility) reads a whole population: this is
its entry, with the same rules — deny without an active agreement, read outside the
caller's transactions, log every read at once in a transaction of its own — and a
set-based log: one ``BatchRead`` row for the chunk and one ``BatchReadSubject`` row per
subject whose record was read (none for a refused or failed read: nothing was
disclosed; the chunk's row says what happened).

A subject is logged at most once per registry per purpose (a unique constraint): a
chunk read again after a crash writes the rows it is missing and skips the others, so
a run killed half-way and restarted leaves each read logged exactly once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.connectors import RegistryUnavailableError, connector_for
from departments.models import Department, Registry

from .models import BatchOutcome, BatchRead, BatchReadSubject, SharingPurpose
from .selectors import agreements_active

logger = logging.getLogger(__name__)

PURPOSE_MAX_LENGTH = 200


class SharingError(Exception):
    pass


class ReadInTransactionError(RuntimeError):
    """A batch read was asked for inside an ``atomic`` block: a programming error."""


@dataclass(frozen=True)
class BatchReading:
    """The answer of one batch read: ``records`` has an entry for every subject asked
    (``None``: the registry holds no record) when ``outcome`` is OK, and is empty
    otherwise."""

    read: BatchRead
    records: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        return self.read.outcome

    @property
    def ok(self) -> bool:
        return self.read.outcome == BatchOutcome.OK


def sharing_purpose_get_or_create(
    *, key: str, purpose: str, department: Department
) -> SharingPurpose:
    """The purpose named ``key`` (one per lottery round, per appeal...), created once."""
    text = (purpose or "").strip()
    if not text or len(text) > PURPOSE_MAX_LENGTH:
        raise SharingError(_("查询共享数据必须说明用证事由（1至200个字）。"))
    found, _created = SharingPurpose.objects.get_or_create(
        key=key, defaults={"purpose": text, "department": department}
    )
    return found


def batch_digest(*, registry: Registry, purpose: SharingPurpose, subject_ids: Sequence[str]) -> str:
    """SHA-256 of what was asked: the registry, the purpose and the subjects, sorted."""
    text = "\n".join([registry.code, purpose.key, *sorted(subject_ids)])
    return hashlib.sha256(text.encode()).hexdigest()


def records_digest(records: dict[str, dict[str, Any] | None]) -> str:
    """SHA-256 of the answers, in subject order, as canonical JSON."""
    text = json.dumps(
        sorted(records.items()), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()


def registry_read_batch(
    *,
    purpose: SharingPurpose,
    registry: Registry,
    subject_ids: Sequence[str],
    fields: Sequence[str] | None = None,
    user: Any = None,
) -> BatchReading:
    """Read the records of ``subject_ids`` in ``registry`` for ``purpose``; log it at once.

    ``fields``: keep only these fields of each record (what the caller's rules need: the
    rest of the record is never handed on). Refused (``DENIED``) without an active
    agreement of the purpose's department; a registry that cannot answer gives
    ``ERROR``. Call it outside any transaction: the log is committed before it returns.
    """
    alias = router.db_for_write(BatchRead) or DEFAULT_DB_ALIAS
    _refuse_inside_transaction(alias)
    subjects = list(dict.fromkeys(subject_ids))
    requested = batch_digest(registry=registry, purpose=purpose, subject_ids=subjects)
    if (purpose.department_id, registry.pk) not in agreements_active(
        {(purpose.department_id, registry.pk)}
    ):
        read = _log(
            purpose=purpose,
            registry=registry,
            user=user,
            outcome=BatchOutcome.DENIED,
            subjects=subjects,
            records={},
            request_sha256=requested,
            using=alias,
        )
        return BatchReading(read=read)
    try:
        records = connector_for(registry).read_many(
            registry=registry, subject_ids=subjects, purpose=purpose.purpose
        )
    except RegistryUnavailableError as error:
        logger.warning("batch read of %s failed: %s", registry.code, error)
        read = _log(
            purpose=purpose,
            registry=registry,
            user=user,
            outcome=BatchOutcome.ERROR,
            subjects=subjects,
            records={},
            request_sha256=requested,
            error=str(error)[:300],
            using=alias,
        )
        return BatchReading(read=read)
    if fields is not None:
        wanted = tuple(fields)
        records = {
            subject: (
                None
                if record is None
                else {name: record[name] for name in wanted if name in record}
            )
            for subject, record in records.items()
        }
    read = _log(
        purpose=purpose,
        registry=registry,
        user=user,
        outcome=BatchOutcome.OK,
        subjects=subjects,
        records=records,
        request_sha256=requested,
        using=alias,
    )
    return BatchReading(read=read, records=records)


def _refuse_inside_transaction(alias: str) -> None:
    # Django's durable atomic block is the supported test of "not inside another atomic
    # block" (see cases.services.sharing); it is empty, so it sends (almost) nothing.
    try:
        with transaction.atomic(using=alias, durable=True):
            pass
    except RuntimeError as error:
        raise ReadInTransactionError(
            "batch reads run outside transactions: read first, then write what was read"
        ) from error


def _log(
    *,
    purpose: SharingPurpose,
    registry: Registry,
    user: Any,
    outcome: str,
    subjects: list[str],
    records: dict[str, dict[str, Any] | None],
    request_sha256: str,
    using: str,
    error: str = "",
) -> BatchRead:
    now = timezone.now()
    found = sum(1 for record in records.values() if record is not None)
    with transaction.atomic(using=using, durable=True):
        read = BatchRead.objects.using(using).create(
            purpose=purpose,
            registry=registry,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            outcome=outcome,
            subjects=len(subjects),
            found=found,
            request_sha256=request_sha256,
            response_sha256=records_digest(records) if outcome == BatchOutcome.OK else "",
            error=error,
            created_at=now,
        )
        if outcome == BatchOutcome.OK:
            subject_rows_insert(
                read=read,
                rows=[(subject, records.get(subject) is not None) for subject in subjects],
                using=using,
            )
    return read


def subject_rows_insert(
    *, read: BatchRead, rows: list[tuple[str, bool]], using: str, method: str = "auto"
) -> None:
    """One ``BatchReadSubject`` row per ``(subject, found)``, skipping subjects already
    logged for this purpose and registry.

    On PostgreSQL one ``INSERT ... SELECT FROM unnest(...)``: a chunk is thousands of
    rows, and a round ten million, and ``bulk_create`` builds a statement with six
    parameters a row (and its objects). The subjects and the found flags travel as two
    comma-joined strings that PostgreSQL splits (``string_to_array``): psycopg would quote
    an array parameter element by element in Python, a regular expression per element:
    7.8 ms against 0.2 ms for 5000 subjects, five times a chunk (identity numbers and
    credit codes never hold a comma; a subject that does goes the ORM's way). Elsewhere,
    and with ``method="orm"`` (the test compares both), ``bulk_create(ignore_conflicts=True)``."""
    if not rows:
        return
    connection = connections[using]
    if method == "auto":
        method = "array" if connection.vendor == "postgresql" else "orm"
    if method == "array" and any("," in subject for subject, _found in rows):
        method = "orm"
    if method == "array":
        quote = connection.ops.quote_name
        table = quote(BatchReadSubject._meta.db_table)
        sql = (
            f"INSERT INTO {table} (read_id, purpose_id, registry_id, subject_id, found, created_at) "
            "SELECT %s, %s, %s, subject, found, %s "
            "FROM unnest(string_to_array(%s, ','), string_to_array(%s, ',')::boolean[]) "
            "AS given(subject, found) "
            "ON CONFLICT (purpose_id, registry_id, subject_id) DO NOTHING"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                [
                    read.pk,
                    read.purpose_id,
                    read.registry_id,
                    read.created_at,
                    ",".join(subject for subject, _found in rows),
                    ",".join("t" if found else "f" for _subject, found in rows),
                ],
            )
        return
    BatchReadSubject.objects.using(using).bulk_create(
        [
            BatchReadSubject(
                read_id=read.pk,
                purpose_id=read.purpose_id,
                registry_id=read.registry_id,
                subject_id=subject,
                found=found,
                created_at=read.created_at,
            )
            for subject, found in rows
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
