"""Reads the back office repeats for every approval, compiled to SQL once.

Django compiles a queryset to SQL afresh each time it runs it. For the wide
``select_related`` reads of the approval engine that costs more than PostgreSQL
takes to run them (0.3–1.3 ms of Python a read; `bench/lifecycle.py` spent a
third of a worker's CPU there). A ``Precompiled`` read is compiled the first time
a database connection runs it; later runs on that connection only put their ids
into the SQL's parameters and turn the rows into objects exactly as the queryset
would (the same iterable: model instances with their ``select_related`` rows,
annotations, or ``values_list`` tuples).

    APPROVAL = Precompiled(lambda pk: Approval.objects.select_related("item").filter(pk=pk))
    APPROVAL.get(pk=approval_id)

The builder's keyword arguments are the values that change from run to run: integer
ids (primary and foreign keys) or strings compared for equality (an identity number);
everything else in it is a constant. It relies on two stable parts of Django's
compiler, each used as Django itself uses it: ``as_sql()`` gives the statement and
its parameters, and the query's iterable reads rows through the query's compiler.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.transaction import TransactionManagementError

ModelT = TypeVar("ModelT", bound=Model)

# Stand-ins for the values while compiling, found again among the compiled parameters
# to learn where each value goes: no real id is this negative, and no real string
# holds a NUL character (PostgreSQL refuses them).
_MARKER_BASE = -(2**62)


def _kind(name: str, value: Any) -> type:
    if isinstance(value, str):
        return str
    if isinstance(value, int) and not isinstance(value, bool):
        return int
    raise TypeError(
        f"a precompiled read takes ids and strings, not {type(value).__name__} ({name})"
    )


def _marker(kind: type, index: int, name: str) -> int | str:
    return _MARKER_BASE - index if kind is int else f"\x00{index}:{name}\x00"


class _Compiled:
    """One read compiled on one connection: the statement, its parameters with the
    slots of the ids, and a queryset whose compiler answers with them."""

    def __init__(self, queryset: QuerySet, markers: dict[int | str, str]) -> None:
        query = queryset.query
        compiler = query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        self.slots = [
            (position, markers[value])
            for position, value in enumerate(params)
            if isinstance(value, int | str) and value in markers
        ]
        names = markers.values()
        missing = set(names) - {name for _position, name in self.slots}
        if missing:
            raise ValueError(f"the read does not use {sorted(missing)} as a parameter")
        self.params = list(params)
        self.queryset = queryset
        self.compiler = compiler
        bound: list[Any] = [sql, self.params]
        self.bound = bound
        # The compiler keeps what it learnt compiling (columns, related models,
        # annotations) and is asked for the statement again on every run: it now
        # answers with the bound one instead of compiling.
        compiler.as_sql = lambda *args, **kwargs: (bound[0], bound[1])
        # The columns are the same on every run, and so are their converters.
        converters: dict[int, Any] = {}
        get_converters = compiler.get_converters

        def cached_converters(expressions: list[Any]) -> Any:
            key = len(expressions)
            if key not in converters:
                converters[key] = get_converters(expressions)
            return converters[key]

        compiler.get_converters = cached_converters
        query.get_compiler = lambda *args, **kwargs: compiler

    def rows(self, values: dict[str, Any]) -> list[Any]:
        if self.queryset.query.select_for_update and self.compiler.connection.get_autocommit():
            # What compiling would have said.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(self.params)
        for position, name in self.slots:
            params[position] = values[name]
        self.bound[1] = params
        return list(self.queryset._iterable_class(self.queryset))


class Precompiled(Generic[ModelT]):
    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self._build = build
        # The type of each argument, fixed by the first run.
        self._kinds: dict[str, type] = {}
        # One compiled read per connection object (connections are per thread).
        self._compiled: weakref.WeakKeyDictionary[Any, _Compiled] = weakref.WeakKeyDictionary()

    def _run(self, using: str, values: dict[str, Any]) -> tuple[_Compiled, list[Any]]:
        if not self._kinds:
            self._kinds = {name: _kind(name, value) for name, value in values.items()}
        if values.keys() != self._kinds.keys():
            raise TypeError(f"this read takes {sorted(self._kinds)}, not {sorted(values)}")
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            stand_ins = {
                name: _marker(kind, index, name)
                for index, (name, kind) in enumerate(sorted(self._kinds.items()))
            }
            queryset = self._build(**stand_ins).using(using)
            markers = {marker: name for name, marker in stand_ins.items()}
            compiled = self._compiled[connection] = _Compiled(queryset, markers)
        bound = {name: self._kinds[name](value) for name, value in values.items()}
        return compiled, compiled.rows(bound)

    def all(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[Any]:
        """Every row, as the queryset would give them."""
        return self._run(using, values)[1]

    def get(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> ModelT:
        """The one row, or the model's ``DoesNotExist``, as ``QuerySet.get``."""
        compiled, rows = self._run(using, values)
        if len(rows) != 1:
            model = compiled.queryset.model
            if not rows:
                raise model.DoesNotExist(
                    f"{model._meta.object_name} matching query does not exist."
                )
            raise model.MultipleObjectsReturned(
                f"get() returned {len(rows)} {model._meta.object_name}s"
            )
        return rows[0]


# Writes: the engine's INSERTs and UPDATEs are a handful of shapes (a model and the
# columns it writes), each turned into SQL once per database backend.
_WRITE_SQL: dict[tuple[Any, ...], str] = {}


def _write_sql(
    key: tuple[Any, ...], connection: Any, build: Callable[[Callable[[str], str]], str]
) -> str:
    key = (connection.vendor, *key)
    sql = _WRITE_SQL.get(key)
    if sql is None:
        sql = _WRITE_SQL[key] = build(connection.ops.quote_name)
    return sql


def row_insert(
    row: Model,
    *,
    using: str = DEFAULT_DB_ALIAS,
    on_conflict: str | None = None,
    guard: tuple[str, list[Any]] | None = None,
) -> bool:
    """INSERT ``row`` as ``save()`` would for a new row (``auto_now`` columns and
    defaults, values prepared by each field), in one statement that returns the new
    id. No model signals are sent: our models have no receivers (a test keeps that
    true). Returns ``False``, with ``row`` left unsaved, when nothing was inserted:

    * ``on_conflict``: a unique column whose clash makes the INSERT a no-op;
    * ``guard`` (PostgreSQL): an ``UPDATE`` (SQL and parameters) run in the same
      statement, as a data-modifying ``WITH``; the row is inserted only if it
      changed a row (the audit trail moves its chain's head this way).
    """
    connection = connections[using]
    meta = row._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    guard_sql, guard_params = guard if guard is not None else ("", [])

    def build(quote: Callable[[str], str]) -> str:
        columns = ", ".join(quote(field.column) for field in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        conflict = f" ON CONFLICT ({quote(on_conflict)}) DO NOTHING" if on_conflict else ""
        returning = f" RETURNING {quote(meta.pk.column)}"
        if guard is not None:
            return (
                f"WITH guard AS ({guard_sql} RETURNING 1) INSERT INTO {quote(meta.db_table)} "
                f"({columns}) SELECT {placeholders} FROM guard{conflict}{returning}"
            )
        return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}){conflict}{returning}"

    sql = _write_sql(("insert", meta.label, on_conflict, guard_sql), connection, build)
    values = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*guard_params, *values])
        returned = cursor.fetchone()
    if returned is None:
        return False
    row.pk = returned[0]
    row._state.adding, row._state.db = False, using
    return True


def row_update(
    row: Model, attnames: list[str], *, where: dict[str, Any], using: str = DEFAULT_DB_ALIAS
) -> int:
    """UPDATE the columns ``attnames`` of ``row`` (plus its ``auto_now`` columns, as
    ``save(update_fields=...)`` would) where the primary key and every column of
    ``where`` still hold the given values. Returns how many rows changed (0 or 1)."""
    connection = connections[using]
    meta = row._meta
    fields = [meta.get_field(attname) for attname in attnames]
    fields += [
        field
        for field in meta.concrete_fields
        if getattr(field, "auto_now", False) and field not in fields
    ]
    conditions = [meta.get_field(attname) for attname in where]

    def build(quote: Callable[[str], str]) -> str:
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        tests = "".join(f" AND {quote(field.column)} = %s" for field in conditions)
        return f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s{tests}"

    key = ("update", meta.label, tuple(field.attname for field in fields), tuple(where))
    sql = _write_sql(key, connection, build)
    values = [field.get_db_prep_save(field.pre_save(row, False), connection) for field in fields]
    values.append(meta.pk.get_db_prep_value(row.pk, connection))
    values += [field.get_db_prep_value(where[field.attname], connection) for field in conditions]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount
