"""The outbox: work recorded with the change that causes it, run once, swept when lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.constants import ApprovalState, CaseState, EventKind, JobState
from cases.models import Approval, Job
from cases.services import jobs
from cases.services.dispatch import case_dispatch
from cases.services.jobs import job_enqueue, job_run, jobs_sweep
from cases.services.queue import approval_start_after_commit, approval_start_key
from tests.factories import ApprovalFactory, CaseFactory, ServiceItemFactory

CALLS: list[int] = []


def count_call(*, number: int) -> None:
    CALLS.append(number)


def explode(*, number: int) -> None:
    raise RuntimeError(f"registry {number} unreachable")


def fan_out(*, number: int, children: int, fail_after: bool = False, running_job=None) -> None:
    """Records ``children`` continuable jobs in one transaction, like an approval that
    unblocks several others."""
    from django.db import transaction

    CALLS.append(number)
    with transaction.atomic():
        for child in range(children):
            job_enqueue(
                kind="fan",
                key=f"fan:{number}:{child}",
                payload={"number": number * 10 + child, "children": 0},
                running_job=running_job,
            )
    if fail_after:
        raise RuntimeError("failed after its transaction committed")


def finish_here(*, number: int, roll_back: bool = False, running_job=None) -> None:
    """Does its work and marks its job done in one transaction; ``roll_back``: that
    transaction is then rolled back (as a lost race would), and the handler returns."""
    from django.db import transaction

    from cases.models import NumberSequence

    try:
        with transaction.atomic():
            NumberSequence.objects.create(name=f"work-{number}", value=number)
            jobs.job_done_in_this_transaction(running_job=running_job)
            DONE_SEEN.append(Job.objects.get(key=f"finish:{number}").state)
            if roll_back:
                raise LookupError("someone else got there first")
    except LookupError:
        pass


DONE_SEEN: list[str] = []


@pytest.fixture
def test_handlers(monkeypatch):
    CALLS.clear()
    DONE_SEEN.clear()
    monkeypatch.setattr(jobs.registry, "JOB_HANDLERS", dict(jobs.JOB_HANDLERS))
    jobs.job_handler_register(kind="finish", function=finish_here)
    jobs.job_handler_register(kind="count", function=count_call)
    jobs.job_handler_register(kind="explode", function=explode)
    jobs.job_handler_register(kind="fan", function=fan_out, continuable=True)
    return CALLS


@pytest.fixture
def broker():
    """The broker's edge: what would be sent to Celery is recorded instead of sent, as
    ``(job id, kind)``."""
    sent: list[tuple[int, str]] = []

    def publish(job_id: int, queue: str | None) -> None:
        sent.append((job_id, Job.objects.values_list("kind", flat=True).get(pk=job_id)))

    real = jobs.job_publisher_register(publish)
    yield sent
    jobs.job_publisher_register(real)


def _pending(approval_state=ApprovalState.PENDING, **kwargs):
    item = ServiceItemFactory(auto_decide=True, **kwargs)
    return ApprovalFactory(item=item, state=approval_state)


@pytest.mark.django_db
def test_dispatch_writes_one_job_per_started_approval_and_runs_it_after_commit(
    django_capture_on_commit_callbacks,
):
    items = [ServiceItemFactory(auto_decide=True) for _ in range(3)]
    case = CaseFactory(state=CaseState.ACCEPTED, items=items)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_dispatch(case=case)
    # Before commit: the rows exist, nothing ran.
    approvals = list(Approval.objects.filter(case=case))
    assert {approval.state for approval in approvals} == {ApprovalState.PENDING}
    assert set(Job.objects.values_list("key", flat=True)) == {
        approval_start_key(approval.pk) for approval in approvals
    }
    assert set(Job.objects.values_list("state", flat=True)) == {JobState.PENDING}
    for callback in callbacks:
        callback()
    assert set(Job.objects.values_list("state", flat=True)) == {JobState.DONE}
    assert set(Approval.objects.values_list("state", flat=True)) == {ApprovalState.APPROVED}
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED


@pytest.mark.django_db
def test_the_same_work_is_recorded_once(django_capture_on_commit_callbacks):
    approval = _pending()
    with django_capture_on_commit_callbacks(execute=True):
        approval_start_after_commit(approval_id=approval.pk)
        approval_start_after_commit(approval_id=approval.pk)
    assert Job.objects.filter(key=approval_start_key(approval.pk)).count() == 1
    job = Job.objects.get()
    assert (job.state, job.attempts) == (JobState.DONE, 1)


@pytest.mark.django_db
def test_a_recorded_job_is_the_row_save_would_write_and_a_known_key_keeps_the_transaction(
    test_handlers, django_assert_num_queries
):
    """One INSERT … ON CONFLICT statement, no savepoint; its row has what ``save()`` gives
    a new job (field defaults, ``auto_now``), and the same key again inside the same
    transaction returns that row without breaking the transaction."""
    from django.db import transaction

    from cases.models import NumberSequence

    with transaction.atomic():
        with django_assert_num_queries(1):
            job = job_enqueue(kind="count", key="count:1", payload={"number": 1})
        assert job.pk is not None and not job._state.adding
        again = job_enqueue(kind="count", key="count:1", payload={"number": 2})
        assert again.pk == job.pk and again.payload == {"number": 1}
        NumberSequence.objects.create(name="after-the-clash", value=1)  # still usable
    stored = Job.objects.get(pk=job.pk)
    reference = Job(kind="count", key="count:reference", payload={"number": 1})
    reference.save(force_insert=True)
    reference.refresh_from_db()
    compared = [
        field.attname
        for field in Job._meta.concrete_fields
        if field.attname
        not in (
            "id",
            "key",
            "created_at",
            "updated_at",
            "next_try_at",
            "published_at",
            "request_id",
        )
    ]
    assert {name: getattr(stored, name) for name in compared} == {
        name: getattr(reference, name) for name in compared
    }
    assert stored.updated_at is not None and stored.created_at <= stored.updated_at
    assert NumberSequence.objects.filter(name="after-the-clash").exists()


@pytest.mark.django_db
def test_a_second_delivery_of_a_done_job_changes_nothing(test_handlers):
    job = job_enqueue(kind="count", key="count:1", payload={"number": 1})
    assert job_run(job_id=job.pk).state == JobState.DONE
    assert job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.state, job.attempts, test_handlers) == (JobState.DONE, 1, [1])


@pytest.mark.django_db
def test_a_job_held_by_a_live_worker_is_not_run_again(test_handlers):
    job = job_enqueue(kind="count", key="count:2", payload={"number": 2})
    Job.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, lease_until=timezone.now() + dt.timedelta(minutes=5), attempts=1
    )
    assert job_run(job_id=job.pk) is None
    assert test_handlers == []


@pytest.mark.django_db
def test_a_failing_job_is_retried_later_then_given_up(test_handlers, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    job = job_enqueue(kind="explode", key="explode:7", payload={"number": 7})
    before = timezone.now()
    with pytest.raises(RuntimeError):
        job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.PENDING
    assert job.attempts == 1
    assert job.last_error == "RuntimeError: registry 7 unreachable"
    assert job.next_try_at >= before + dt.timedelta(seconds=jobs.RETRY_DELAYS[0])
    # Not due yet: a duplicate message does not run it early.
    assert job_run(job_id=job.pk) is None
    Job.objects.filter(pk=job.pk).update(next_try_at=timezone.now())
    with pytest.raises(RuntimeError):
        job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.lease_until) == (JobState.FAILED, 2, None)


@pytest.mark.django_db
def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown job kind"):
        job_enqueue(kind="nonsense", key="nonsense:1")
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_sweeper_republishes_lost_messages_and_dead_workers_jobs_only(test_handlers, settings):
    lost = job_enqueue(kind="count", key="count:10", payload={"number": 10})
    fresh = job_enqueue(kind="count", key="count:11", payload={"number": 11})
    dead = job_enqueue(kind="count", key="count:12", payload={"number": 12})
    alive = job_enqueue(kind="count", key="count:13", payload={"number": 13})
    waiting = job_enqueue(kind="count", key="count:14", payload={"number": 14})
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.JOB_REPUBLISH_SECONDS + 1)
    Job.objects.filter(pk=lost.pk).update(published_at=stale)
    Job.objects.filter(pk=dead.pk).update(
        state=JobState.RUNNING, attempts=1, lease_until=now - dt.timedelta(seconds=1)
    )
    Job.objects.filter(pk=alive.pk).update(
        state=JobState.RUNNING, attempts=1, lease_until=now + dt.timedelta(minutes=5)
    )
    Job.objects.filter(pk=waiting.pk).update(
        published_at=stale, next_try_at=now + dt.timedelta(minutes=1)
    )
    assert jobs_sweep(now=now) == 2
    assert sorted(test_handlers) == [10, 12]
    states = dict(Job.objects.values_list("key", "state"))
    assert states == {
        "count:10": JobState.DONE,
        "count:11": JobState.PENDING,
        "count:12": JobState.DONE,
        "count:13": JobState.RUNNING,
        "count:14": JobState.PENDING,
    }
    assert Job.objects.get(pk=dead.pk).attempts == 2
    assert fresh.pk  # published moments ago: its message is still on its way


@pytest.mark.django_db
def test_acceptance_dispatches_in_its_own_transaction_and_starts_approvals_after_commit(
    django_capture_on_commit_callbacks, clerk
):
    from cases.services.intake import case_accept, case_create, case_submit
    from tests.factories import ApplicantFactory

    case = case_create(
        applicant=ApplicantFactory(), items=[ServiceItemFactory(auto_decide=True)], created_by=clerk
    )
    case = case_submit(case=case, actor=clerk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = case_accept(case=case, actor=clerk)
    # Accepted and dispatched together: the approval exists, its start is an outbox job.
    assert case.state == CaseState.IN_REVIEW
    approval = case.approvals.get()
    assert approval.state == ApprovalState.PENDING
    assert list(Job.objects.values_list("key", flat=True)) == [f"start_approval:{approval.pk}"]
    assert list(
        case.events.filter(kind=EventKind.TRANSITION, approval=None)
        .order_by("pk")
        .values_list("to_state", flat=True)
    ) == [CaseState.DRAFT, CaseState.SUBMITTED, CaseState.ACCEPTED, CaseState.IN_REVIEW]
    for callback in callbacks:
        with django_capture_on_commit_callbacks(execute=True):
            callback()
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert set(Job.objects.values_list("state", flat=True)) == {JobState.DONE}


@pytest.mark.django_db
def test_acceptance_reads_the_case_items_once_for_its_promised_date_and_its_approvals(clerk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.services.intake import case_accept, case_create, case_submit
    from cases.workdays import add_working_days
    from tests.factories import ApplicantFactory

    slow = ServiceItemFactory(auto_decide=True, promised_working_days=20)
    quick = ServiceItemFactory(auto_decide=True, promised_working_days=3)
    case = case_create(applicant=ApplicantFactory(), items=[quick, slow], created_by=clerk)
    case = case_submit(case=case, actor=clerk)
    with CaptureQueriesContext(connection) as queries:
        case = case_accept(case=case, actor=clerk)
    item_reads = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith("SELECT")
        and "departments_serviceitem" in query["sql"]
        and "cases_case_items" in query["sql"]
        and "departments_materialrequirement" not in query["sql"]
    ]
    assert len(item_reads) == 1
    # The one read served both: the slowest item's promise, and one approval per item.
    assert case.due_date == add_working_days(timezone.localdate(), 20)
    assert sorted(case.approvals.values_list("item__promised_working_days", flat=True)) == [3, 20]


@pytest.mark.django_db
def test_a_dispatch_that_fails_leaves_the_case_as_it_was(clerk, monkeypatch):
    from cases.services import dispatch
    from cases.services.intake import case_accept, case_create, case_submit
    from tests.factories import ApplicantFactory

    case = case_create(
        applicant=ApplicantFactory(), items=[ServiceItemFactory(auto_decide=True)], created_by=clerk
    )
    case = case_submit(case=case, actor=clerk)
    events = case.events.count()

    def broken(*arguments, **keywords):
        raise RuntimeError("catalogue unreadable")

    monkeypatch.setattr(dispatch, "working_calendar", broken)
    with pytest.raises(RuntimeError):
        case_accept(case=case, actor=clerk)
    case.refresh_from_db()
    assert (case.state, case.accepted_at, case.events.count()) == (
        CaseState.SUBMITTED,
        None,
        events,
    )
    assert not case.approvals.exists() and not Job.objects.exists()


@pytest.mark.django_db
def test_a_failing_job_never_turns_the_committed_request_into_an_error(
    test_handlers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_enqueue(kind="explode", key="explode:9", payload={"number": 9})
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.PENDING, 1)
    assert job.last_error == "RuntimeError: registry 9 unreachable"


@pytest.mark.django_db(transaction=True)
def test_a_worker_goes_on_with_the_first_follow_up_and_hands_the_others_to_the_broker(
    test_handlers, broker
):
    parent = job_enqueue(kind="fan", key="fan:1", payload={"number": 1, "children": 3})
    broker.clear()
    assert job_run(job_id=parent.pk).state == JobState.DONE
    children = {job.key: job for job in Job.objects.filter(key__startswith="fan:1:")}
    # The first child ran here, in the same call, after the parent's commit...
    assert children["fan:1:0"].state == JobState.DONE
    assert test_handlers == [1, 10]
    # ...the other two were published for other workers, and wait for them.
    assert sorted(broker) == sorted(
        [(children["fan:1:1"].pk, "fan"), (children["fan:1:2"].pk, "fan")]
    )
    assert {children["fan:1:1"].state, children["fan:1:2"].state} == {JobState.PENDING}


@pytest.mark.django_db(transaction=True)
def test_a_follow_up_kept_by_a_failing_job_is_published_not_lost(test_handlers, broker):
    parent = job_enqueue(
        kind="fan", key="fan:2", payload={"number": 2, "children": 1, "fail_after": True}
    )
    broker.clear()
    with pytest.raises(RuntimeError):
        job_run(job_id=parent.pk)
    child = Job.objects.get(key="fan:2:0")
    assert child.state == JobState.PENDING
    assert broker == [(child.pk, "fan")]
    assert test_handlers == [2]


@pytest.mark.django_db(transaction=True)
def test_a_restaurant_case_takes_two_broker_messages_not_five(broker):
    """Acceptance dispatches in its own transaction and publishes the approval that can
    start; each approval goes on with the one it unblocks; only the second of two
    approvals unblocked together needs another message."""
    from django.core.management import call_command

    from bench.workload import workload_accept, workload_prepare

    call_command("load_demo", "--force", verbosity=0)
    [case_id] = workload_prepare(cases=1)
    broker.clear()
    workload_accept(case_ids=[case_id])
    sent = []
    documents = ("issue_pdf", "issue_ofd")
    while pending := [job for job in broker if job[1] not in documents]:
        broker[:] = [job for job in broker if job[1] in documents]
        sent += [kind for _job_id, kind in pending]
        for job_id, _kind in pending:
            job_run(job_id=job_id)
    from cases.models import Case

    assert Case.objects.get(pk=case_id).state == CaseState.APPROVED
    assert sent == ["start_approval", "start_approval"]
    # Every piece of work still has its own outbox row, run once; no dispatch job.
    assert not Job.objects.filter(kind="dispatch_case").exists()
    work = Job.objects.filter(kind="start_approval")
    assert work.count() == 4
    assert set(work.values_list("state", "attempts")) == {(JobState.DONE, 1)}


@pytest.mark.django_db(transaction=True)
def test_the_follow_up_a_worker_keeps_is_written_claimed_and_run_without_a_claim(
    test_handlers, broker
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    parent = job_enqueue(kind="fan", key="fan:3", payload={"number": 3, "children": 1})
    broker.clear()
    with CaptureQueriesContext(connection) as queries:
        assert job_run(job_id=parent.pk).state == JobState.DONE

    child = Job.objects.get(key="fan:3:0")
    assert (child.state, child.attempts, test_handlers) == (JobState.DONE, 1, [3, 30])
    claims = [query for query in queries if "attempts = attempts + 1" in query["sql"]]
    assert len(claims) == 1  # the parent's; the child was inserted claimed
    assert broker == []


@pytest.mark.django_db(transaction=True)
def test_a_kept_follow_up_whose_worker_died_is_published_when_its_lease_runs_out(
    test_handlers, broker, settings
):
    from django.db import transaction

    # A run in progress keeps a follow-up for its worker...
    worker_run = jobs.run._WorkerRun()
    parent = jobs.RunningJob(job=Job(kind="fan", key="fan:parent"), worker_run=worker_run)
    with transaction.atomic():
        kept = job_enqueue(
            kind="fan", key="fan:4", payload={"number": 4, "children": 0}, running_job=parent
        )
    assert worker_run.kept == [kept]
    # ...and its worker dies before running it: nothing runs it, nothing releases it.
    kept.refresh_from_db()
    assert (kept.state, kept.attempts) == (JobState.RUNNING, 1)
    assert jobs_sweep() == 0  # its lease still runs

    later = timezone.now() + dt.timedelta(seconds=settings.JOB_LEASE_SECONDS + 1)
    assert jobs_sweep(now=later) == 1
    assert broker == [(kept.pk, "fan")]
    assert job_run(job_id=kept.pk) is None  # not before its lease ends
    assert jobs.run._job_claim(job_id=kept.pk, now=later) is not None  # then it is taken again


@pytest.mark.django_db(transaction=True)
def test_a_handler_commits_its_job_done_with_its_work(test_handlers, broker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    job = job_enqueue(kind="finish", key="finish:1", payload={"number": 1})
    with CaptureQueriesContext(connection) as queries:
        assert job_run(job_id=job.pk) is not None
    # Done inside the handler's transaction, before its commit; no second "done".
    assert DONE_SEEN == [JobState.DONE]
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "cases_job"')]
    assert len(updates) == 2, updates  # the claim and the done, nothing after
    job.refresh_from_db()
    assert (job.state, job.attempts, job.lease_until) == (JobState.DONE, 1, None)
    from cases.models import NumberSequence

    assert NumberSequence.objects.get(name="work-1").value == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_done_is_written_by_the_run_afterwards(test_handlers, broker):
    job = job_enqueue(kind="finish", key="finish:2", payload={"number": 2, "roll_back": True})
    job_run(job_id=job.pk)
    from cases.models import NumberSequence

    assert not NumberSequence.objects.filter(name="work-2").exists()  # the work rolled back
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 1)  # the handler returned: done


@pytest.mark.django_db
def test_outside_a_job_marking_done_does_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        jobs.job_done_in_this_transaction(running_job=None)


@pytest.mark.django_db(transaction=True)
def test_an_approval_decision_and_its_job_done_are_one_transaction(broker, monkeypatch):
    from django.db import connection

    approval = _pending()
    approval_start_after_commit(approval_id=approval.pk)
    job = Job.objects.get(key=approval_start_key(approval.pk))
    seen = []
    real_done = jobs.run._job_done

    def done(*, job, finished):
        seen.append(connection.in_atomic_block)
        real_done(job=job, finished=finished)

    monkeypatch.setattr(jobs.run, "_job_done", done)
    job_run(job_id=job.pk)
    assert seen == [True]  # once, inside the decision's transaction
    approval.refresh_from_db()
    job.refresh_from_db()
    assert (approval.state, job.state) == (ApprovalState.APPROVED, JobState.DONE)


# --- the handler table: functions, registered by the apps -----------------------------


def test_every_kind_maps_to_a_function_not_a_dotted_name():
    from cases.services.checks import approval_run_checks
    from cases.services.dispatch import case_dispatch_job
    from certificates.services.ofd import certificate_ofd_render_and_seal
    from certificates.services.rendering import certificate_render_and_sign
    from lottery.services.rounds import pool_publish
    from lottery.services.verification import chunk_verify
    from notifications.services.sending import notifications_send_job
    from payments.services.refunds import payment_refund_job
    from payments.services.settlement import payment_conclude_case_job

    handlers = jobs.JOB_HANDLERS
    assert {kind: handler.function for kind, handler in handlers.items()} == {
        "dispatch_case": case_dispatch_job,
        "start_approval": approval_run_checks,
        "issue_pdf": certificate_render_and_sign,
        "issue_ofd": certificate_ofd_render_and_seal,
        "lottery_verify_chunk": chunk_verify,
        "lottery_publish_pool": pool_publish,
        "notifications_send": notifications_send_job,
        "payments_conclude_case": payment_conclude_case_job,
        "payments_refund": payment_refund_job,
    }
    assert all(callable(handler.function) for handler in handlers.values())
    assert not any(isinstance(handler.function, str) for handler in handlers.values())
    # Slow PDFs on their own queue; approvals continuable, each given its running job.
    assert {kind: handler.queue for kind, handler in handlers.items()} == {
        "dispatch_case": None,
        "start_approval": None,
        "issue_pdf": "documents",
        "issue_ofd": "documents",
        "lottery_verify_chunk": None,
        "lottery_publish_pool": None,
        "notifications_send": None,
        "payments_conclude_case": None,
        "payments_refund": None,
    }
    assert [kind for kind, handler in handlers.items() if handler.is_continuable] == [
        "start_approval"
    ]
    assert handlers["start_approval"].takes_running_job
    assert not handlers["issue_pdf"].takes_running_job


def test_a_kind_cannot_be_given_a_second_handler(monkeypatch):
    monkeypatch.setattr(jobs.registry, "JOB_HANDLERS", dict(jobs.JOB_HANDLERS))
    jobs.job_handler_register(kind="count", function=count_call)
    jobs.job_handler_register(kind="count", function=count_call)  # the same again: fine
    with pytest.raises(ValueError, match="count"):
        jobs.job_handler_register(kind="count", function=explode)


def test_jobs_reach_celery_through_the_sender_the_task_module_registers(monkeypatch):
    from cases import tasks

    # CasesConfig.ready() registered it: registering it again replaces it by itself.
    assert jobs.job_publisher_register(tasks.run_job_publish) is tasks.run_job_publish
    sent = []
    monkeypatch.setattr(
        tasks.run_job, "apply_async", lambda args, **options: sent.append((args, options))
    )
    jobs.registry._publish([(7, "start_approval"), (8, "issue_pdf")])
    assert sent == [((7,), {}), ((8,), {"queue": "documents"})]
