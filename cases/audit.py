"""The hash chain that makes the audit tables tamper-evident.

Each row of an append-only table (``CaseEvent``, ``Verification``, ``CourierEvent``) carries its
position in one of its table's chains, the hash of the row before it, and its own hash
over its content, position and that previous hash. Changing, removing or
inserting a row anywhere breaks the chain from that row on;
``manage.py verify_audit`` names the first broken row.

Concurrency: each table is split into ``AUDIT_CHAINS`` chains by case, and a
chain is serialised on its own ``AuditChainHead`` row, locked (``SELECT ... FOR
UPDATE``) when the transaction adds its first row to that chain and held until
commit; work on different cases rarely queues. On SQLite the ``IMMEDIATE``
transactions already serialise writers. A unique position per chain backs it: a
fork would be a duplicate key, never a silent branch.

The hashed fields are listed here, not taken from the model, so that a field
added to a model later does not silently change the hash of older rows: add it
to the list only together with a way to tell old rows from new ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from .inserts import insert_fields, row_insert_returning

GENESIS_HASH = "0" * 64

HASHED_FIELDS: dict[str, tuple[str, ...]] = {
    "cases.caseevent": (
        "case_id",
        "approval_id",
        "certificate_id",
        "kind",
        "name",
        "from_state",
        "to_state",
        "actor_id",
        "actor_department_id",
        "actor_label",
        "note",
        "data",
        "is_public",
        "created_at",
        "chain",
    ),
    "cases.verification": (
        "registry_id",
        "subject_id",
        "applicant_id",
        "purpose",
        "case_id",
        "requesting_department_id",
        "requested_by_id",
        "outcome",
        "request_sha256",
        "response_sha256",
        "created_at",
        "log_key",
        "chain",
    ),
    "cases.courierevent": (
        "courier",
        "event_id",
        "delivery_id",
        "status",
        "occurred_at",
        "body_sha256",
        "payload",
        "received_at",
        "chain",
    ),
}


# Fields added to a table after rows were chained: hashed only when set, so older
# rows (where they are empty) keep their hash, and setting or clearing one later
# still breaks the chain at that row.
ADDED_LATER: frozenset[str] = frozenset(
    {
        "cases.verification.log_key",
        "cases.caseevent.chain",
        "cases.verification.chain",
        "cases.courierevent.chain",
    }
)

# Each audit table is split into this many chains, each with its own head, so that
# transactions about different cases do not queue for one lock. A row's chain is its
# ``audit_chain_key()`` (the case) modulo this; chain 0 is stored as empty, like the
# rows from before the split. Changing it later is safe: rows keep the chain they
# were written in, and verification walks every chain it finds.
AUDIT_CHAINS = 16


def chain_head_name(table: str, chain: int | None) -> str:
    """The ``AuditChainHead`` name of a table's chain (chain 0: the table's name alone)."""
    return f"{table}/{chain}" if chain else table


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def row_digest(row: models.Model) -> str:
    """SHA-256 over the row's hashed fields, its chain position and the previous hash."""
    meta = row._meta
    payload: dict[str, Any] = {
        "table": meta.label_lower,
        "chain_position": row.chain_position,  # type: ignore[attr-defined]
        "previous_hash": row.previous_hash,  # type: ignore[attr-defined]
    }
    fields = {field.attname: field for field in meta.concrete_fields}
    for attname in HASHED_FIELDS[meta.label_lower]:
        added_later = f"{meta.label_lower}.{attname}" in ADDED_LATER
        if added_later and attname not in fields:
            continue  # a migration's historical model from before the field existed
        field = fields[attname]
        value = getattr(row, attname)
        if value is None and added_later:
            continue
        if not isinstance(field, models.JSONField) and value is not None:
            # What the database will hand back: "5" for a CharField given 5.
            value = field.to_python(value)
            if isinstance(field, models.ForeignKey):
                value = field.target_field.to_python(value)
        payload[attname] = _canonical(value)
    text = json.dumps(
        payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_insert(row: models.Model, save: Callable[[], None]) -> None:
    """Insert ``row`` as the next link of its chain; ``save()`` inserts it through the
    model's own ``save`` (where the backend needs two statements, below).

    The first link a transaction adds to a chain locks the chain's head row and reads
    it; the transaction remembers where it left the head, so each further link is one
    conditional UPDATE of the head (``WHERE position = … AND last_hash = …``, true
    only if nothing moved it — a savepoint rolled back, say) and the INSERT. When the
    condition fails, the head is locked and read again.
    """
    row.chain = (row.audit_chain_key() % AUDIT_CHAINS) or None  # type: ignore[attr-defined]
    name = chain_head_name(row._meta.label_lower, row.chain)  # type: ignore[attr-defined]
    # No savepoint: any error here aborts the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False):
        connection = transaction.get_connection()
        heads = _transaction_heads(connection)
        with connection.cursor() as cursor:
            known = heads.get(name)
            if known is not None:
                _link(row, *known)
                move = _head_move_sql(name, frm=known, to=_position(row))
                if _insert_moving_head(cursor, connection, row, move, save):
                    heads[name] = _position(row)
                    return
            _link(row, *_head_lock(cursor, connection, name))
            move = _head_move_sql(name, frm=None, to=_position(row))
            _insert_moving_head(cursor, connection, row, move, save)
            heads[name] = _position(row)


def _insert_moving_head(
    cursor: Any,
    connection: Any,
    row: models.Model,
    move: tuple[str, list[Any]],
    save: Callable[[], None],
) -> bool:
    """Move the head (``move``) and insert ``row``, or do neither when the head's
    condition fails. True if the row was inserted."""
    if connection.vendor != "postgresql":
        if not _head_execute(cursor, move):
            return False
        save()
        return True
    # PostgreSQL: one statement, a data-modifying WITH that moves the head and an INSERT
    # that selects from it, so the row goes in only if the head moved. Plain SQL because
    # the ORM cannot write an INSERT ... SELECT, and the two statements of the ORM's way
    # cost every audit row (about twelve a case) a round trip and an INSERT compiled
    # anew: measured with bench/lifecycle_profile.py, 133 statements a case instead of
    # 121, and a tenth more of a worker's CPU. The values are prepared by each field as
    # ``save()`` prepares them, and its signals sent as ``save()`` sends them
    # (``cases/inserts.py``).
    meta = row._meta
    fields = insert_fields(type(row))
    quote = connection.ops.quote_name
    move_sql, move_params = move
    sql = (
        f"WITH head AS ({move_sql} RETURNING 1) INSERT INTO {quote(meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"SELECT {', '.join(['%s'] * len(fields))} FROM head RETURNING {quote(meta.pk.column)}"
    )
    return row_insert_returning(
        row, cursor=cursor, connection=connection, sql=sql, before=move_params
    )


def _position(row: models.Model) -> tuple[int, str]:
    return row.chain_position, row.row_hash  # type: ignore[attr-defined]


def _link(row: models.Model, position: int, last_hash: str) -> None:
    row.chain_position = position + 1  # type: ignore[attr-defined]
    row.previous_hash = last_hash  # type: ignore[attr-defined]
    row.row_hash = row_digest(row)  # type: ignore[attr-defined]


def _transaction_heads(connection: Any) -> dict[str, tuple[int, str]]:
    """The heads this transaction has moved, by chain; empty in a new transaction (the
    outermost ``atomic`` block identifies the transaction and is kept alive with it)."""
    outermost = connection.atomic_blocks[0]
    remembered = _HEADS_BY_CONNECTION.get(connection)
    if remembered is None or remembered[0] is not outermost:
        remembered = _HEADS_BY_CONNECTION[connection] = (outermost, {})
    return remembered[1]


# What each connection's current transaction has moved: kept beside the connection (a
# weak key, gone with it), not as an attribute set on Django's object.
_HEADS_BY_CONNECTION: weakref.WeakKeyDictionary[Any, tuple[Any, dict[str, tuple[int, str]]]] = (
    weakref.WeakKeyDictionary()
)


_HEAD_TABLE = "cases_auditchainhead"


def _head_lock(cursor: Any, connection: Any, name: str) -> tuple[int, str]:
    """Lock the chain's head row (creating it for the chain's first row) and read it."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = f"SELECT position, last_hash FROM {_HEAD_TABLE} WHERE name = %s{lock}"
    cursor.execute(select, [name])
    found = cursor.fetchone()
    if found is None:
        # The chain's first row (or after a test flush): a concurrent creator makes
        # this a no-op, and the lock below then waits for it.
        cursor.execute(
            f"INSERT INTO {_HEAD_TABLE} (name, position, last_hash) VALUES (%s, 0, %s) "
            "ON CONFLICT (name) DO NOTHING",
            [name, GENESIS_HASH],
        )
        cursor.execute(select, [name])
        found = cursor.fetchone()
    return found[0], found[1]


def _head_move_sql(
    name: str, *, frm: tuple[int, str] | None, to: tuple[int, str]
) -> tuple[str, list[Any]]:
    """Set the head to ``to``; with ``frm``, only if it is still there."""
    sql = f"UPDATE {_HEAD_TABLE} SET position = %s, last_hash = %s WHERE name = %s"
    params: list[Any] = [*to, name]
    if frm is not None:
        sql += " AND position = %s AND last_hash = %s"
        params += list(frm)
    return sql, params


def _head_execute(cursor: Any, move: tuple[str, list[Any]]) -> bool:
    """Run a head move on its own. True if the head moved."""
    cursor.execute(*move)
    return cursor.rowcount == 1


# --- Rows removed on purpose: retention ---------------------------------------------------
#
# Personal-data retention (the ``privacy`` app) deletes data-access log rows once their
# period is over. A removed range would break the chain at the next row, so whoever removes
# rows records each removed range of a chain (its first and last position, the hash before
# it and the hash of its last row), and the verification skips a range only where it links
# exactly: the row after it must carry the range's last hash, so a range recorded over rows
# that are still there, or rows removed without a record, still show as broken. This
# module keeps only the interface, so that ``cases`` never imports the app that removes.


@dataclass(frozen=True)
class ChainGap:
    """Positions ``first_position``..``last_position`` of one chain were removed on purpose."""

    first_position: int
    last_position: int
    previous_hash: str  # the hash of the row before the range (its first row's previous_hash)
    last_hash: str  # the row_hash of the range's last row

    @property
    def rows(self) -> int:
        return self.last_position - self.first_position + 1


# Functions that give the recorded gaps of one chain (by ``chain_head_name``); registered
# by the app that removes rows, in its ``AppConfig.ready()``.
_GAP_SOURCES: list[Callable[[str], Iterable[ChainGap]]] = []


def chain_gap_source_register(source: Callable[[str], Iterable[ChainGap]]) -> None:
    if source not in _GAP_SOURCES:
        _GAP_SOURCES.append(source)


def chain_gaps(name: str) -> dict[int, ChainGap]:
    """The removed ranges of one chain, by their first position."""
    return {gap.first_position: gap for source in _GAP_SOURCES for gap in source(name)}
