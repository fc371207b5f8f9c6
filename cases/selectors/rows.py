"""Model instances from plain parameterised SQL, as ``select_related`` would give them.

Why plain SQL at all: Django compiles a queryset to SQL afresh on every run, and for
the approval engine's hottest reads (the wide ``select_related`` reads every approval
repeats) that compiling costs more Python than PostgreSQL takes to run the statement.
These reads are written once as SQL text, the same text on every run, so psycopg's
prepared statements serve them too. Everything else is Django's public API: the
columns are each model's ``_meta.concrete_fields`` quoted with
``connection.ops.quote_name``; each column's value is converted as the ORM's compiler
converts it (``connection.ops.get_db_converters``, then the field's own, i.e. its
``from_db_value``); each row becomes an instance through ``Model.from_db``; and a
related instance is attached by assigning it to its foreign key, which sets the key and
its cache as ``select_related`` does.

    APPROVAL = Joined(Approval, "approval", related={"item": Joined(ServiceItem, "item")})
    sql = f"SELECT {APPROVAL.columns(connection)} FROM {APPROVAL.tables(connection)} WHERE ..."
    approvals = APPROVAL.instances(cursor.fetchall(), connection=connection)

Every read built on this has a test comparing its answer with the equivalent queryset.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.transaction import TransactionManagementError

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Step:
    """One model of a read: where its columns are in a row and how it hangs on its parent."""

    node: Joined
    start: int
    end: int
    pk_index: int
    parent: int | None
    key: Any
    outer: bool


class Joined:
    """One model's columns in a read, under the table alias ``alias``, with the rows its
    forward foreign keys (or one-to-ones) point to joined in (``related``: field name →
    ``Joined``). A nullable key, or any key below one, is a ``LEFT OUTER JOIN``."""

    def __init__(
        self, model: type[models.Model], alias: str, *, related: dict[str, Joined] | None = None
    ) -> None:
        self.model = model
        self.alias = alias
        self.related = related or {}
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        for name, child in self.related.items():
            field = model._meta.get_field(name)
            if not field.concrete or not (field.many_to_one or field.one_to_one):
                raise ValueError(f"{model.__name__}.{name} is not a forward foreign key")
            if field.related_model is not child.model:
                raise ValueError(f"{model.__name__}.{name} points to {field.related_model}")
        # The model and every joined one, depth first.
        self._plan: list[_Step] = []
        self._plan_from(self, parent=None, key=None, outer=False)
        aliases = [step.node.alias for step in self._plan]
        if len(set(aliases)) != len(aliases):
            raise ValueError(f"table aliases repeat: {aliases}")
        # Per connection (a weak key: gone with it): the converters of every column.
        self._converters: weakref.WeakKeyDictionary[Any, list[tuple[int, list, Any]]] = (
            weakref.WeakKeyDictionary()
        )
        self._sql: dict[str, tuple[str, str]] = {}  # vendor → (columns, tables)

    def _plan_from(self, node: Joined, *, parent: int | None, key: Any, outer: bool) -> None:
        start = self._plan[-1].end if self._plan else 0
        self._plan.append(
            _Step(
                node=node,
                start=start,
                end=start + len(node.fields),
                pk_index=node.attnames.index(node.model._meta.pk.attname),
                parent=parent,
                key=key,
                outer=outer,
            )
        )
        index = len(self._plan) - 1
        for name, child in node.related.items():
            field = node.model._meta.get_field(name)
            self._plan_from(child, parent=index, key=field, outer=outer or field.null)

    @property
    def width(self) -> int:
        """How many columns ``columns`` selects."""
        return self._plan[-1].end

    def _text(self, connection: Any) -> tuple[str, str]:
        text = self._sql.get(connection.vendor)
        if text is None:
            quote = connection.ops.quote_name
            columns = ", ".join(
                f"{quote(step.node.alias)}.{quote(field.column)}"
                for step in self._plan
                for field in step.node.fields
            )
            tables = f"{quote(self.model._meta.db_table)} {quote(self.alias)}"
            for step in self._plan[1:]:
                join = "LEFT OUTER JOIN" if step.outer else "INNER JOIN"
                alias, parent_alias = step.node.alias, self._plan[step.parent].node.alias
                tables += (
                    f" {join} {quote(step.node.model._meta.db_table)} {quote(alias)}"
                    f" ON {quote(alias)}.{quote(step.key.target_field.column)} = "
                    f"{quote(parent_alias)}.{quote(step.key.column)}"
                )
            text = self._sql[connection.vendor] = (columns, tables)
        return text

    def columns(self, connection: Any) -> str:
        """The select list: every concrete column of every joined model, in order."""
        return self._text(connection)[0]

    def tables(self, connection: Any) -> str:
        """The ``FROM`` clause's body: the model's table and the joins."""
        return self._text(connection)[1]

    def _column_converters(self, connection: Any) -> list[tuple[int, list, Any]]:
        found = self._converters.get(connection)
        if found is None:
            columns = [
                (field, step.node.alias) for step in self._plan for field in step.node.fields
            ]
            found = self._converters[connection] = [
                (position, functions, column)
                for position, (functions, column) in enumerate(
                    column_converters(connection, columns)
                )
                if functions
            ]
        return found

    def instances(
        self,
        rows: Sequence[Sequence[Any]],
        *,
        connection: Any,
        annotations: dict[str, Callable[[Any], Any]] | None = None,
    ) -> list[Any]:
        """One instance of the model per row, its joined rows attached. Columns after
        ``columns``' go, in order, to the attributes named in ``annotations``, each
        through its function (``bool`` for an ``EXISTS``: SQLite answers 0 or 1)."""
        converters = self._column_converters(connection)
        extra = list((annotations or {}).items())
        width = self.width
        db = connection.alias
        built = []
        for row in rows:
            values = list(row)
            for position, functions, column in converters:
                for function in functions:
                    values[position] = function(values[position], column, connection)
            made: list[Any] = []
            for step in self._plan:
                own = values[step.start : step.end]
                node = step.node
                made.append(
                    None
                    if own[step.pk_index] is None
                    else node.model.from_db(db, node.attnames, own)
                )
                if step.parent is not None and made[step.parent] is not None:
                    # The descriptor sets the key and caches the row, as select_related does.
                    setattr(made[step.parent], step.key.name, made[-1])
            for offset, (name, function) in enumerate(extra):
                setattr(made[0], name, function(values[width + offset]))
            built.append(made[0])
        return built


_STATEMENTS: dict[tuple[str, str], str] = {}


def statement(connection: Any, name: str, build: Callable[[Any], str]) -> str:
    """The statement ``name`` as ``build(connection)`` writes it, once per backend: the
    plain statements of the selectors and services are written from the models'
    ``_meta`` on first use, then reused as text (which psycopg prepares by)."""
    key = (connection.vendor, name)
    sql = _STATEMENTS.get(key)
    if sql is None:
        sql = _STATEMENTS[key] = build(connection)
    return sql


def lock_clause(connection: Any, *, of: str | None = None) -> str:
    """`` FOR UPDATE`` (of the table alias ``of`` only, when given), or nothing where
    the backend has no row locks (SQLite: its ``IMMEDIATE`` transactions serialise
    writers). Refused outside a transaction on every backend, where a lock would end
    with its statement (the ORM refuses it there on PostgreSQL)."""
    if connection.get_autocommit():
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    if not connection.features.has_select_for_update:
        return ""
    if of is not None and connection.features.has_select_for_update_of:
        return f" FOR UPDATE OF {connection.ops.quote_name(of)}"
    return " FOR UPDATE"


def column_converters(
    connection: Any, columns: Sequence[tuple[models.Field, str]]
) -> list[tuple[list[Converter], Any]]:
    """For plain columns (a field and its table alias): how the ORM converts each."""
    found = []
    for field, alias in columns:
        column = field.get_col(alias)
        found.append(
            (
                connection.ops.get_db_converters(column) + column.get_db_converters(connection),
                column,
            )
        )
    return found


def converted(
    rows: Sequence[Sequence[Any]], *, connection: Any, columns: Sequence[tuple[models.Field, str]]
) -> list[tuple[Any, ...]]:
    """The rows with each column converted as the ORM's ``values_list`` converts it."""
    converters = column_converters(connection, columns)
    answer = []
    for row in rows:
        values = list(row)
        for position, (functions, column) in enumerate(converters):
            for function in functions:
                values[position] = function(values[position], column, connection)
        answer.append(tuple(values))
    return answer
