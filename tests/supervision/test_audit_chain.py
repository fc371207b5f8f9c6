"""The audit trail is append-only and tamper-evident: a hash chain per table, checked by verify_audit."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.utils import timezone

from cases.audit import AUDIT_CHAINS, GENESIS_HASH, HASHED_FIELDS, chain_head_name
from cases.constants import CaseState, EventKind, VerificationOutcome
from cases.exceptions import AppendOnlyError
from cases.models import AuditChainHead, CaseEvent, Verification
from cases.services.intake import case_accept
from cases.services.sharing import registry_read
from supervision.selectors.audit_chain import audit_chains_verify
from tests.factories import (
    CaseFactory,
    DepartmentFactory,
    RegistryFactory,
    RegistryRecordFactory,
    SharingAgreementFactory,
)
from tests.sign_in import sign_in


def make_events(count: int, *, note: str = "备注") -> list[CaseEvent]:
    case = CaseFactory()
    return [
        CaseEvent.objects.create(
            case=case, kind=EventKind.NOTE, name="note", note=f"{note}{index}", data={"i": index}
        )
        for index in range(count)
    ]


def make_verifications(count: int) -> list[Verification]:
    department = DepartmentFactory()
    registry = RegistryFactory()
    SharingAgreementFactory(consumer=department, registry=registry)
    record = RegistryRecordFactory(registry=registry, data={"name": "𠮷"})
    case = CaseFactory()
    return [
        registry_read(
            registry=registry,
            subject_id=record.subject_id,
            purpose=f"核验身份{index}",
            department=department,
            case=case,
        ).verification
        for index in range(count)
    ]


def chain_name(row) -> str:
    """How verify_audit names the row's chain: the table, and the chain if not 0."""
    return chain_head_name(row._meta.label_lower, row.chain)


def verify_output() -> str:
    with pytest.raises(CommandError) as error:
        call_command("verify_audit")
    return str(error.value)


def raw_update(model, row_id: int, column: str, value) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {connection.ops.quote_name(column)} = %s WHERE id = %s",
            [value, row_id],
        )


@pytest.mark.django_db
def test_rows_are_chained_as_they_are_inserted(clerk):
    case = CaseFactory(state=CaseState.SUBMITTED)
    case_accept(case=case, actor=clerk)  # the transition service writes two events
    # (accepted, then dispatched: the factory's case has no items, so no approvals)
    for _ in range(3):
        CaseEvent.objects.create(case=case, kind=EventKind.NOTE, name="note", note="备注")
    rows = list(CaseEvent.objects.order_by("chain_position"))
    assert [row.chain_position for row in rows] == [1, 2, 3, 4, 5]
    assert {row.chain for row in rows} == {(case.pk % AUDIT_CHAINS) or None}  # the case's chain
    assert rows[0].previous_hash == GENESIS_HASH
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.previous_hash == before.row_hash
    assert len({row.row_hash for row in rows}) == 5
    head = AuditChainHead.objects.get(name=chain_name(rows[0]))
    assert (head.position, head.last_hash) == (5, rows[-1].row_hash)


@pytest.mark.django_db
def test_rows_of_cases_in_different_chains_are_numbered_apart():
    first = CaseFactory()
    while (second := CaseFactory()).pk % AUDIT_CHAINS == first.pk % AUDIT_CHAINS:
        pass
    for case in (first, second, first):
        CaseEvent.objects.create(case=case, kind=EventKind.NOTE, name="note", note="备注")
    positions = {
        case.pk: list(
            CaseEvent.objects.filter(case=case)
            .order_by("pk")
            .values_list("chain_position", flat=True)
        )
        for case in (first, second)
    }
    assert positions == {first.pk: [1, 2], second.pk: [1]}
    assert all(report.is_intact for report in audit_chains_verify())


@pytest.mark.django_db
def test_verify_audit_passes_on_an_untouched_trail():
    make_events(3, note="𠮷字与普通字")
    make_verifications(2)
    reports = audit_chains_verify()
    assert all(report.is_intact for report in reports)
    rows: dict[str, int] = {}
    for report in reports:  # "cases.caseevent/5": chain 5 of the table
        table = report.table.split("/")[0]
        rows[table] = rows.get(table, 0) + report.rows
    assert rows == {"cases.caseevent": 3, "cases.verification": 2, "cases.courierevent": 0}
    call_command("verify_audit")  # no error


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("note", "改过的说明"),
        ("to_state", "CLOSED"),
        ("name", "approve"),
        ("data", '{"i": 99}'),
        ("is_public", False),
        ("actor_label", "admin"),
        ("case_id", None),
        ("created_at", "later"),
        ("previous_hash", "f" * 64),
        ("chain_position", 77),
    ],
)
def test_editing_any_event_column_in_the_database_breaks_the_chain_at_that_row(column, value):
    events = make_events(4)
    target = events[1]
    if value == "later":
        value = connection.ops.adapt_datetimefield_value(
            target.created_at + dt.timedelta(seconds=1)
        )
    raw_update(CaseEvent, target.pk, column, value)
    message = verify_output()
    assert f"{chain_name(target)}: chain broken at row id={target.pk}" in message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [("purpose", "其他事由"), ("outcome", VerificationOutcome.DENIED), ("subject_id", "X" * 18)],
)
def test_editing_a_data_access_log_row_breaks_the_chain_at_that_row(column, value):
    rows = make_verifications(3)
    raw_update(Verification, rows[2].pk, column, value)
    message = verify_output()
    assert f"{chain_name(rows[2])}: chain broken at row id={rows[2].pk}" in message


@pytest.mark.django_db
def test_rewriting_a_row_and_its_own_hash_is_caught_by_the_next_link():
    events = make_events(3)
    raw_update(CaseEvent, events[0].pk, "row_hash", "a" * 64)
    message = verify_output()
    assert f"row id={events[0].pk}" in message  # its content no longer matches its hash


@pytest.mark.django_db
def test_deleting_rows_in_the_database_is_caught():
    events = make_events(4)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CaseEvent._meta.db_table} WHERE id = %s", [events[1].pk])
    assert f"chain broken at row id={events[2].pk}" in verify_output()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CaseEvent._meta.db_table} WHERE id >= %s", [events[1].pk])
    assert "rows removed at the end" in verify_output()


@pytest.mark.django_db
def test_a_row_inserted_behind_the_application_is_named():
    make_events(2)
    case_id = CaseEvent.objects.values_list("case_id", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CaseEvent._meta.db_table} (case_id, kind, name, from_state, to_state, "
            "actor_label, note, data, is_public, created_at, previous_hash, row_hash) "
            "VALUES (%s, 'note', 'forged', '', '', '', '', '{}', %s, %s, '', '')",
            [case_id, True, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
    forged = CaseEvent.objects.get(name="forged")
    assert f"row id={forged.pk}" in verify_output()


@pytest.mark.django_db
def test_the_application_refuses_to_update_or_delete_audit_rows():
    event = make_events(1)[0]
    verification = make_verifications(1)[0]
    for row, model in ((event, CaseEvent), (verification, Verification)):
        with pytest.raises(AppendOnlyError):
            row.save()
        with pytest.raises(AppendOnlyError):
            row.delete()
        with pytest.raises(AppendOnlyError):
            model.objects.filter(pk=row.pk).update(created_at=timezone.now())
        with pytest.raises(AppendOnlyError):
            model.objects.filter(pk=row.pk).delete()
        with pytest.raises(AppendOnlyError):
            model.objects.bulk_create([model()])
    assert CaseEvent.objects.get(pk=event.pk).note == event.note
    assert all(report.is_intact for report in audit_chains_verify())


def test_every_column_of_an_audit_row_is_hashed():
    for model in (CaseEvent, Verification):
        columns = {field.attname for field in model._meta.concrete_fields}
        chain_columns = {"id", "chain_position", "previous_hash", "row_hash"}
        assert set(HASHED_FIELDS[model._meta.label_lower]) == columns - chain_columns


@pytest.mark.django_db(transaction=True)
def test_concurrent_inserts_keep_every_chain_unbroken():
    """Parallel workers (threads with their own connections) write events at once, each
    for its own case and for one case they all share (so one chain is contended): no fork."""
    shared = CaseFactory()
    cases = [CaseFactory() for _ in range(6)]
    per_thread = 5
    barrier = threading.Barrier(len(cases))
    errors: list[BaseException] = []

    def worker(case):
        try:
            barrier.wait()
            for index in range(per_thread):
                for target in (case, shared):
                    with transaction.atomic():
                        CaseEvent.objects.create(
                            case=target, kind=EventKind.NOTE, name="note", note=f"{case.pk}-{index}"
                        )
        except BaseException as error:  # noqa: BLE001 - the test reports it
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(case,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    total = 2 * len(cases) * per_thread
    by_chain: dict[int | None, list[int]] = {}
    for chain, position in CaseEvent.objects.values_list("chain", "chain_position"):
        by_chain.setdefault(chain, []).append(position)
    for positions in by_chain.values():  # every chain numbered 1..n without a gap or a fork
        assert sorted(positions) == list(range(1, len(positions) + 1))
    assert len(by_chain[(shared.pk % AUDIT_CHAINS) or None]) >= len(cases) * per_thread
    reports = [r for r in audit_chains_verify() if r.table.startswith("cases.caseevent")]
    assert all(report.is_intact for report in reports)
    assert sum(report.rows for report in reports) == total


@pytest.mark.django_db
def test_audit_search_by_case_person_department_and_time(client, clerk, reviewer):
    from departments.constants import Role
    from tests.factories import StaffFactory

    first, second = CaseFactory(state=CaseState.SUBMITTED), CaseFactory(state=CaseState.SUBMITTED)
    case_accept(case=first, actor=clerk)
    CaseEvent.objects.create(
        case=second, kind=EventKind.NOTE, name="note", actor=reviewer,
        actor_department=reviewer.staff_profile.department, note="审查意见",
    )  # fmt: skip
    sign_in(client, StaffFactory(role=Role.SUPERVISOR))
    url = "/supervision/audit/"
    body = client.get(url, {"tracking_no": first.tracking_no.lower()}).content.decode()
    assert first.tracking_no in body and second.tracking_no not in body
    body = client.get(url, {"person": reviewer.username}).content.decode()
    assert second.tracking_no in body and first.tracking_no not in body
    body = client.get(url, {"person": second.applicant.id_number}).content.decode()
    assert second.tracking_no in body and first.tracking_no not in body
    body = client.get(url, {"department": reviewer.staff_profile.department.code}).content.decode()
    assert "审查意见" in body and first.tracking_no not in body
    today = timezone.localdate()
    body = client.get(url, {"date_from": today + dt.timedelta(days=1)}).content.decode()
    assert first.tracking_no not in body and second.tracking_no not in body
    response = client.get(url, {"date_from": today, "date_to": today - dt.timedelta(days=1)})
    assert "开始日期不能晚于结束日期" in response.content.decode()


@pytest.mark.django_db
def test_audit_csv_is_streamed_with_masked_ids_and_no_formulas(client):
    from departments.constants import Role
    from tests.factories import StaffFactory

    reads = make_verifications(2)
    make_events(1, note="=HYPERLINK(1)")
    sign_in(client, StaffFactory(role=Role.SUPERVISOR))
    response = client.get("/supervision/audit/export.csv", {"trail": "access"})
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff时间,链序号")
    assert reads[0].subject_id not in text
    assert reads[0].subject_id[:4] in text and "核验身份1" in text
    assert len(text.strip().splitlines()) == 3
    events = b"".join(client.get("/supervision/audit/export.csv").streaming_content).decode()
    assert "'=HYPERLINK(1)0" in events
    bad = client.get("/supervision/audit/export.csv", {"date_from": "2026-13-01"})
    assert bad.status_code == 400


@pytest.mark.django_db
def test_audit_pages_are_for_supervisors_only(client, clerk):
    assert client.get("/supervision/audit/").status_code == 302
    sign_in(client, clerk)
    assert client.get("/supervision/audit/").status_code == 403
    assert client.get("/supervision/audit/export.csv").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_transaction_locks_the_head_once_and_a_rolled_back_savepoint_does_not_fork_the_chain():
    from django.test.utils import CaptureQueriesContext

    case = CaseFactory()

    def note(text: str) -> CaseEvent:
        return CaseEvent.objects.create(case=case, kind=EventKind.NOTE, name="note", note=text)

    note("〇")  # the chain's first row creates its head
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        note("一")
        note("二")
        note("三")
    head_reads = [
        q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert len(head_reads) == 1  # the head is read (and locked) once per transaction
    with transaction.atomic():
        note("四")
        try:
            with transaction.atomic():  # a savepoint whose link is rolled back
                note("作废")
                raise RuntimeError
        except RuntimeError:
            pass
        note("五")  # the remembered head is stale now: it must be read again
    rows = list(CaseEvent.objects.order_by("chain_position"))
    assert [row.note for row in rows] == ["〇", "一", "二", "三", "四", "五"]
    assert [row.chain_position for row in rows] == [1, 2, 3, 4, 5, 6]
    assert all(report.is_intact for report in audit_chains_verify())
    call_command("verify_audit")  # raises CommandError on a broken chain
