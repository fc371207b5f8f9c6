"""The engine's writes go through the models' own ``save``: a transition's compare-and-set
UPDATE, and the audit trail's INSERT (one statement with its chain head on PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.constants import CaseState, EventKind
from cases.exceptions import ConcurrentTransitionError
from cases.models import Case, CaseEvent
from cases.services.transitions import run_transition
from supervision.selectors.audit_chain import audit_chains_verify
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def updates_of(queries: CaptureQueriesContext, table: str) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith(f'UPDATE "{table}"')]


def test_a_transition_writes_only_what_it_changed_where_the_state_is_still_the_one_read():
    case = CaseFactory(state=CaseState.SUBMITTED, form_data={"A": {"x": "1"}})
    with CaptureQueriesContext(connection) as queries:
        accepted = run_transition(case, "accept", due_date=timezone.localdate())
    [update] = updates_of(queries, "cases_case")
    assigned = re.findall(r'"(\w+)" = ', update.split(" WHERE ")[0])
    assert sorted(assigned) == ["accepted_at", "due_date", "state", "updated_at"]
    assert '"cases_case"."state" = ' in update.split(" WHERE ")[1]
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.due_date, stored.form_data) == (
        CaseState.ACCEPTED,
        timezone.localdate(),
        {"A": {"x": "1"}},
    )
    assert stored.updated_at == accepted.updated_at > case.updated_at


def test_a_state_changed_under_a_trusted_lock_is_refused_and_nothing_is_written():
    """The caller said it held the lock but its row is stale: the conditional UPDATE
    changes no row, the caller is told, and no event is written."""
    case = CaseFactory(state=CaseState.SUBMITTED)
    with (
        pytest.raises(ConcurrentTransitionError, match="已被他人同时处理"),
        transaction.atomic(),
    ):
        stale = Case.objects.get(pk=case.pk)
        Case.objects.filter(pk=case.pk).update(state=CaseState.WITHDRAWN)
        run_transition(stale, "accept", already_locked=True, due_date=timezone.localdate())
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED
    assert not CaseEvent.objects.filter(case_id=case.pk).exists()


def test_a_transitioned_row_can_be_saved_again():
    """The model's concurrency check follows the state the transition saved, so a later
    save of the same instance is not taken for a concurrent change."""
    case = CaseFactory(state=CaseState.SUBMITTED)
    accepted = run_transition(case, "accept", due_date=timezone.localdate())
    accepted.form_data = {"A": {"x": "2"}}
    accepted.save(update_fields=["form_data", "updated_at"])
    again = run_transition(accepted, "dispatch")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.form_data) == (CaseState.IN_REVIEW, {"A": {"x": "2"}})
    assert again.state == CaseState.IN_REVIEW


def test_an_audit_row_is_saved_with_its_model_signals():
    seen: list[tuple[str, int | None, bool | None]] = []

    def before(sender, instance, **kwargs):
        seen.append(("pre_save", instance.pk, None))

    def after(sender, instance, created, **kwargs):
        seen.append(("post_save", instance.pk, created))

    pre_save.connect(before, sender=CaseEvent)
    post_save.connect(after, sender=CaseEvent)
    try:
        case = CaseFactory()
        with transaction.atomic():
            first = CaseEvent.objects.create(case=case, kind=EventKind.NOTE, name="note")
            second = CaseEvent.objects.create(case=case, kind=EventKind.NOTE, name="note")
    finally:
        pre_save.disconnect(before, sender=CaseEvent)
        post_save.disconnect(after, sender=CaseEvent)
    assert seen == [
        ("pre_save", None, None),
        ("post_save", first.pk, True),
        ("pre_save", None, None),
        ("post_save", second.pk, True),
    ]
    assert not first._state.adding and first._state.db == "default"
    stored = CaseEvent.objects.get(pk=second.pk)
    assert (stored.chain_position, stored.previous_hash) == (2, first.row_hash)
    assert stored.created_at == second.created_at is not None  # auto_now_add, as save() sets it


def _links_written(count: int) -> list[str]:
    """The statements of ``count`` audit rows after the first, in one transaction."""
    case = CaseFactory()
    with transaction.atomic():
        CaseEvent.objects.create(case=case, kind=EventKind.NOTE, name="note")
        with CaptureQueriesContext(connection) as queries:
            for _ in range(count):
                CaseEvent.objects.create(case=case, kind=EventKind.NOTE, name="note", note="𠮷")
    assert all(report.is_intact for report in audit_chains_verify())
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.postgresql
def test_on_postgresql_each_further_audit_row_is_one_statement_with_its_head():
    statements = _links_written(3)
    assert len(statements) == 3
    assert all(
        sql.startswith("WITH head AS (UPDATE cases_auditchainhead ")
        and 'INSERT INTO "cases_caseevent"' in sql
        for sql in statements
    )


@pytest.mark.sqlite
def test_elsewhere_each_further_audit_row_moves_its_head_then_saves():
    statements = _links_written(2)
    assert len(statements) == 4
    assert [sql.split()[0] for sql in statements] == ["UPDATE", "INSERT"] * 2
    assert all("cases_auditchainhead" in sql for sql in statements[::2])
