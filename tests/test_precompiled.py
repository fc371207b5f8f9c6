"""Reads compiled once per connection give exactly what their queryset gives."""

from __future__ import annotations

import threading

import pytest
from django.apps import apps
from django.db import connection, connections, transaction
from django.db.models import Count
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from cases.constants import JobState
from cases.models import Approval, Case, Job
from onewindow.precompiled import Precompiled, row_insert, row_update
from tests.factories import ApprovalFactory, CaseFactory

pytestmark = pytest.mark.django_db

WITH_CONTEXT = Precompiled(
    lambda pk: Approval.objects.select_related("item__department", "case__applicant").filter(pk=pk)
)
STATES = Precompiled(
    lambda case: (
        Approval.objects.filter(case_id=case).order_by("id").values_list("state", flat=True)
    )
)
WITH_COUNT = Precompiled(
    lambda pk: Case.objects.filter(pk=pk).annotate(approval_count=Count("approvals"))
)
LOCKED = Precompiled(lambda pk: Case.objects.select_for_update().filter(pk=pk))


def test_the_rows_and_their_related_rows_are_those_of_the_queryset():
    first, second = ApprovalFactory(), ApprovalFactory()

    for approval in (first, second, first):
        loaded = WITH_CONTEXT.get(pk=approval.pk)
        expected = Approval.objects.select_related("item__department", "case__applicant").get(
            pk=approval.pk
        )
        assert loaded == expected
        assert [getattr(loaded, field.attname) for field in Approval._meta.concrete_fields] == [
            getattr(expected, field.attname) for field in Approval._meta.concrete_fields
        ]
        with CaptureQueriesContext(connection) as queries:
            assert loaded.item.department.name == approval.item.department.name
            assert loaded.case.applicant.name == approval.case.applicant.name
        assert len(queries) == 0  # came with the row, as select_related promises


def test_it_is_compiled_once_and_every_run_binds_its_own_ids():
    case = CaseFactory()
    approvals = ApprovalFactory.create_batch(3, case=case)
    other = ApprovalFactory()
    compiles = []
    original = WITH_CONTEXT._build
    WITH_CONTEXT._build = lambda **ids: compiles.append(ids) or original(**ids)
    WITH_CONTEXT._compiled.clear()
    try:
        with CaptureQueriesContext(connection) as queries:
            loaded = [WITH_CONTEXT.get(pk=approval.pk) for approval in [*approvals, other]]
    finally:
        WITH_CONTEXT._build = original
    assert [approval.pk for approval in loaded] == [approval.pk for approval in [*approvals, other]]
    assert len(compiles) == 1
    assert len(queries) == 4  # one statement a read, and no compiling in between


def test_values_list_and_annotations_come_back_as_from_the_queryset():
    case = CaseFactory()
    ApprovalFactory(case=case, state=JobState.PENDING)
    ApprovalFactory(case=case, state="APPROVED")

    assert STATES.all(case=case.pk) == [JobState.PENDING, "APPROVED"]
    assert STATES.all(case=CaseFactory().pk) == []
    assert WITH_COUNT.get(pk=case.pk).approval_count == 2


def test_no_row_and_several_rows_raise_as_queryset_get_does():
    with pytest.raises(Approval.DoesNotExist):
        WITH_CONTEXT.get(pk=987654321)
    case = CaseFactory()
    ApprovalFactory.create_batch(2, case=case)
    several = Precompiled(lambda case: Approval.objects.filter(case_id=case))
    with pytest.raises(Approval.MultipleObjectsReturned):
        several.get(case=case.pk)


def test_an_id_the_read_does_not_use_is_refused():
    unused = Precompiled(lambda pk, other: Case.objects.filter(pk=pk))
    with pytest.raises(ValueError, match="other"):
        unused.get(pk=1, other=2)


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_outside_a_transaction_is_refused_like_the_queryset():
    case = CaseFactory()
    with transaction.atomic():
        assert LOCKED.get(pk=case.pk) == case  # compiled inside a transaction
    with pytest.raises(TransactionManagementError):
        LOCKED.get(pk=case.pk)


@pytest.mark.django_db(transaction=True)
def test_each_connection_has_its_own_compiled_read():
    approval = ApprovalFactory()
    WITH_CONTEXT.get(pk=approval.pk)
    seen = []

    def other_thread() -> None:
        try:
            seen.append(WITH_CONTEXT.get(pk=approval.pk))
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen == [approval]
    assert len(WITH_CONTEXT._compiled) == 2


def test_row_insert_writes_the_row_save_would_write_and_returns_its_id():
    job = Job(kind="dispatch_case", key="insert-1", payload={"名": "𠮷"})

    assert row_insert(job)

    stored = Job.objects.get(pk=job.pk)
    assert (stored.key, stored.payload, stored.state) == (
        "insert-1",
        {"名": "𠮷"},
        JobState.PENDING,
    )
    assert stored.updated_at is not None  # auto_now, as save() sets it
    assert not job._state.adding


def test_row_insert_with_on_conflict_changes_nothing_when_the_key_exists():
    Job.objects.create(kind="dispatch_case", key="insert-2", payload={"first": True})
    again = Job(kind="dispatch_case", key="insert-2", payload={"first": False})

    assert not row_insert(again, on_conflict="key")

    assert again.pk is None
    assert list(Job.objects.filter(key="insert-2").values_list("payload", flat=True)) == [
        {"first": True}
    ]


def test_row_update_writes_only_the_named_columns_where_the_condition_still_holds():
    job = Job.objects.create(kind="dispatch_case", key="update-1", last_error="kept")
    stale = Job.objects.get(pk=job.pk)
    Job.objects.filter(pk=job.pk).update(last_error="changed by someone else")
    stale.state, stale.attempts, stale.last_error = JobState.DONE, 7, "not written"

    assert row_update(stale, ["state", "attempts"], where={"state": JobState.PENDING}) == 1
    stored = Job.objects.get(pk=job.pk)
    assert (stored.state, stored.attempts, stored.last_error) == (
        JobState.DONE,
        7,
        "changed by someone else",
    )
    assert stored.updated_at > job.updated_at  # auto_now, as save(update_fields=...) does

    stale.attempts = 8
    assert (
        row_update(stale, ["attempts"], where={"state": JobState.PENDING}) == 0
    )  # no longer PENDING
    assert Job.objects.get(pk=job.pk).attempts == 7


def test_no_model_of_ours_has_save_signal_receivers():
    """row_insert and row_update send no model signals: nothing may be listening."""
    ours = [
        model
        for model in apps.get_models()
        if model._meta.app_label in {"cases", "departments", "citizens", "supervision"}
    ]
    for signal in (pre_save, post_save):
        assert not [model for model in ours if signal.has_listeners(model)]


def test_string_values_are_bound_like_ids_and_other_types_are_refused():
    first, second = CaseFactory(), CaseFactory()
    by_number = Precompiled(lambda number: Case.objects.filter(tracking_no=number))

    assert by_number.get(number=first.tracking_no) == first
    assert by_number.get(number=second.tracking_no) == second
    assert by_number.all(number="no such number") == []
    with pytest.raises(TypeError, match="number"):
        Precompiled(lambda number: Case.objects.filter(tracking_no=number)).get(number=1.5)


@pytest.mark.postgresql
def test_row_insert_with_a_guard_inserts_only_when_the_guard_changed_a_row():
    Job.objects.create(kind="dispatch_case", key="guard-counter", attempts=3)
    bump = "UPDATE cases_job SET attempts = attempts + 1 WHERE key = %s AND attempts = %s"

    first = Job(kind="dispatch_case", key="guarded-1")
    assert row_insert(first, guard=(bump, ["guard-counter", 3]))
    late = Job(kind="dispatch_case", key="guarded-2")
    assert not row_insert(late, guard=(bump, ["guard-counter", 3]))  # it is 4 now

    assert late.pk is None
    assert set(Job.objects.values_list("key", flat=True)) == {"guard-counter", "guarded-1"}
    assert Job.objects.get(key="guard-counter").attempts == 4
