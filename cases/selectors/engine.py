"""The approval engine's hottest reads, in plain parameterised SQL.

Every case runs each of these several times (dispatch, each approval's checks, each
grant's unblocking and fan-in). Written with the ORM, each run compiled its queryset
again, and that Python cost more than PostgreSQL took to answer (``bench/lifecycle.py``:
a third of a worker's CPU): here the SQL is written once per backend, and the rows
become instances as the equivalent queryset would build them (``rows.Joined``). Each
function's docstring names that queryset; ``tests/cases/test_engine_reads.py`` checks
that both give the same answer, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models

from departments.models import (
    Bundle,
    CertificateType,
    Department,
    MaterialRequirement,
    MaterialType,
    Registry,
    ServiceItem,
)

from ..constants import ApprovalState
from ..models import Applicant, Approval, Case, CaseEvent
from .rows import Joined, converted, lock_clause, statement

# A case, an approval, or a model of an app above this one (a certificate).
Stateful = TypeVar("Stateful", bound=models.Model)


def _fetch(connection: Any, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- the stateful rows, locked -----------------------------------------------------------


@functools.cache
def _locked_read(model: type[models.Model]) -> Joined:
    """How one row of ``model`` is read whole (every concrete column, one table)."""
    return Joined(model, "locked")


def row_for_update(*, model: type[Stateful], pk: int, using: str = DEFAULT_DB_ALIAS) -> Stateful:
    """``model.objects.select_for_update().get(pk=pk)``: the row, locked until the
    transaction ends; ``model.DoesNotExist`` when there is none. Refused outside a
    transaction (``TransactionManagementError``), on SQLite too."""
    connection = connections[using]
    read = _locked_read(model)
    sql = statement(
        connection,
        f"locked:{model._meta.label}",
        lambda c: f"SELECT {read.columns(c)} FROM {read.tables(c)} WHERE locked.id = %s",
    )
    rows = _fetch(connection, sql + lock_clause(connection), [pk])
    if not rows:
        raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
    return read.instances(rows, connection=connection)[0]


# --- dispatch ----------------------------------------------------------------------------

_ITEM = Joined(
    ServiceItem,
    "item",
    related={
        "department": Joined(Department, "department"),
        "produces": Joined(CertificateType, "certificate_type"),
    },
)


def case_items(*, case_id: int, using: str = DEFAULT_DB_ALIAS) -> list[ServiceItem]:
    """``ServiceItem.objects.filter(cases__id=case_id).select_related("department",
    "produces")``: the case's items in code order, each with its department and the
    certificate type it produces."""
    connection = connections[using]

    sql = statement(
        connection,
        "case_items",
        lambda c: (
            f"SELECT {_ITEM.columns(c)} FROM {_ITEM.tables(c)} "
            "INNER JOIN cases_case_items chosen ON chosen.serviceitem_id = item.id "
            "WHERE chosen.case_id = %s ORDER BY item.code"
        ),
    )
    rows = _fetch(connection, sql, [case_id])
    return _ITEM.instances(rows, connection=connection)


_REQUIREMENT = Joined(
    MaterialRequirement,
    "requirement",
    related={"material_type": Joined(MaterialType, "material_type")},
)


def case_requirements(*, case_id: int, using: str = DEFAULT_DB_ALIAS) -> list[MaterialRequirement]:
    """``MaterialRequirement.objects.filter(item__cases__id=case_id)
    .select_related("material_type")``: the requirements of all the case's items, in
    the model's order (item code, position, id)."""
    connection = connections[using]

    sql = statement(
        connection,
        "case_requirements",
        lambda c: (
            f"SELECT {_REQUIREMENT.columns(c)} FROM {_REQUIREMENT.tables(c)} "
            "INNER JOIN departments_serviceitem item ON item.id = requirement.item_id "
            "INNER JOIN cases_case_items chosen ON chosen.serviceitem_id = item.id "
            "WHERE chosen.case_id = %s ORDER BY item.code, requirement.position, requirement.id"
        ),
    )
    rows = _fetch(connection, sql, [case_id])
    return _REQUIREMENT.instances(rows, connection=connection)


# --- checks ------------------------------------------------------------------------------

_APPROVAL_CONTEXT = Joined(
    Approval,
    "approval",
    related={
        "item": Joined(
            ServiceItem,
            "item",
            related={
                "produces": Joined(
                    CertificateType,
                    "certificate_type",
                    related={"issuing_department": Joined(Department, "issuer")},
                )
            },
        ),
        "department": Joined(Department, "department"),
        "case": Joined(
            Case,
            "case_row",
            related={
                "applicant": Joined(Applicant, "applicant"),
                "bundle": Joined(Bundle, "bundle"),
            },
        ),
    },
)


def approval_with_context(*, approval_id: int, using: str = DEFAULT_DB_ALIAS) -> Approval:
    """``Approval.objects.select_related("item__produces__issuing_department",
    "department", "case__applicant", "case__bundle").get(pk=approval_id)``: what the
    checks and the grant read of an approval; ``Approval.DoesNotExist`` when there is none."""
    connection = connections[using]
    read = _APPROVAL_CONTEXT
    sql = statement(
        connection,
        "approval_with_context",
        lambda c: f"SELECT {read.columns(c)} FROM {read.tables(c)} WHERE approval.id = %s",
    )
    rows = _fetch(connection, sql, [approval_id])
    if not rows:
        raise Approval.DoesNotExist("Approval matching query does not exist.")
    return read.instances(rows, connection=connection)[0]


_REQUIREMENT_REGISTRY = Joined(
    MaterialRequirement,
    "requirement",
    related={
        "material_type": Joined(
            MaterialType, "material_type", related={"verifiable_by": Joined(Registry, "registry")}
        )
    },
)


def item_requirements(*, item_id: int, using: str = DEFAULT_DB_ALIAS) -> list[MaterialRequirement]:
    """``MaterialRequirement.objects.filter(item_id=item_id)
    .select_related("material_type__verifiable_by").order_by("id")``: the item's
    requirements, each with the registry that can verify it (or none)."""
    connection = connections[using]
    read = _REQUIREMENT_REGISTRY
    sql = statement(
        connection,
        "item_requirements",
        lambda c: (
            f"SELECT {read.columns(c)} FROM {read.tables(c)} "
            "WHERE requirement.item_id = %s ORDER BY requirement.id"
        ),
    )
    return read.instances(_fetch(connection, sql, [item_id]), connection=connection)


def case_event_exists(*, case_id: int, name: str, using: str = DEFAULT_DB_ALIAS) -> bool:
    """``CaseEvent.objects.filter(case_id=case_id, name=name).exists()``: asked by every
    approval's checks (was a registry value of the case replaced?)."""
    connection = connections[using]
    sql = statement(
        connection,
        "case_event_exists",
        lambda c: (
            f"SELECT 1 FROM {c.ops.quote_name(CaseEvent._meta.db_table)} "
            "WHERE case_id = %s AND name = %s LIMIT 1"
        ),
    )
    return bool(_fetch(connection, sql, [case_id, name]))


# --- fan-in ------------------------------------------------------------------------------


def case_approval_states(
    *, case_id: int, using: str = DEFAULT_DB_ALIAS
) -> list[tuple[str, Decimal]]:
    """``Approval.objects.filter(case_id=case_id).values_list("state", "item__fee")``:
    each approval's state and its item's fee, in approval order."""
    connection = connections[using]

    rows = _fetch(
        connection,
        "SELECT approval.state, item.fee FROM cases_approval approval "
        "INNER JOIN departments_serviceitem item ON item.id = approval.item_id "
        "WHERE approval.case_id = %s ORDER BY approval.id",
        [case_id],
    )
    columns = [
        (Approval._meta.get_field("state"), "approval"),
        (ServiceItem._meta.get_field("fee"), "item"),
    ]
    return converted(rows, connection=connection, columns=columns)


_DEPENDENT = Joined(Approval, "approval", related={"item": Joined(ServiceItem, "item")})


def approval_dependents_for_update(
    *, approval_id: int, using: str = DEFAULT_DB_ALIAS
) -> list[Approval]:
    """The ``WAITING`` approvals that wait for ``approval_id``, locked, in id order, each
    with its item and ``not_yet``: whether anything else it waits for is not approved.
    As ``Approval.objects.filter(waits_for__id=approval_id, state=WAITING)
    .annotate(not_yet=Exists(<its waits not approved>)).select_related("item")
    .select_for_update(of=("self",)).order_by("id")``."""
    connection = connections[using]

    sql = statement(
        connection,
        "approval_dependents",
        lambda c: (
            f"SELECT {_DEPENDENT.columns(c)}, EXISTS ("
            "SELECT 1 FROM cases_approval_waits_for other_wait "
            "INNER JOIN cases_approval prerequisite ON prerequisite.id = other_wait.to_approval_id "
            "WHERE other_wait.from_approval_id = approval.id AND prerequisite.state <> %s"
            f") FROM {_DEPENDENT.tables(c)} "
            "INNER JOIN cases_approval_waits_for wait ON wait.from_approval_id = approval.id "
            "WHERE wait.to_approval_id = %s AND approval.state = %s ORDER BY approval.id"
        ),
    )
    rows = _fetch(
        connection,
        sql + lock_clause(connection, of="approval"),
        [ApprovalState.APPROVED, approval_id, ApprovalState.WAITING],
    )
    return _DEPENDENT.instances(rows, connection=connection, annotations={"not_yet": bool})
