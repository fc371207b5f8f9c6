"""The outbox's sweeper: it republishes what is lost (a failed send, a broker restart, a
dead worker) and never a job whose message still waits in its queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from cases.constants import JobState
from cases.models import Job
from cases.services import jobs
from cases.services.jobs import job_enqueue, job_run, jobs_sweep

RAN: list[int] = []


def render(*, number: int) -> None:
    RAN.append(number)


def unblock(*, number: int, running_job=None) -> None:
    """Records one continuable follow-up, like an approval that unblocks the next one."""
    RAN.append(number)
    with transaction.atomic():
        job_enqueue(
            kind="sweeper_follow", key=f"follow:{number}", payload={"number": number * 10},
            running_job=running_job,
        )  # fmt: skip


class FakeBroker:
    """The broker's edge: messages are recorded per queue instead of sent, and the
    queue length the sweeper asks for is what is recorded (``lose()``: a Redis restart)."""

    def __init__(self) -> None:
        self.queues: dict[str | None, list[int]] = {}
        self.is_down = False

    def publish(self, job_id: int, queue: str | None) -> None:
        if self.is_down:
            raise ConnectionError("broker unreachable")
        self.queues.setdefault(queue, []).append(job_id)

    def count(self, queue: str | None) -> int:
        if self.is_down:
            raise ConnectionError("broker unreachable")
        return len(self.queues.get(queue, []))

    def lose(self) -> None:
        self.queues.clear()

    def sent(self, queue: str | None = None) -> list[int]:
        return list(self.queues.get(queue, []))


@pytest.fixture
def broker(monkeypatch):
    RAN.clear()
    monkeypatch.setattr(jobs.registry, "JOB_HANDLERS", dict(jobs.JOB_HANDLERS))
    jobs.job_handler_register(kind="sweeper_pdf", function=render, queue="documents")
    jobs.job_handler_register(kind="sweeper_work", function=render)
    jobs.job_handler_register(kind="sweeper_chain", function=unblock)
    jobs.job_handler_register(kind="sweeper_follow", function=render, continuable=True)
    fake = FakeBroker()
    publisher = jobs.job_publisher_register(fake.publish)
    counter = jobs.job_queue_counter_register(fake.count)
    yield fake
    jobs.job_publisher_register(publisher)
    jobs.job_queue_counter_register(counter)


def _later(seconds: int = 3600) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def _enqueue(kind: str, count: int) -> list[Job]:
    with transaction.atomic():
        return [
            job_enqueue(kind=kind, key=f"{kind}:{number}", payload={"number": number})
            for number in range(count)
        ]


@pytest.mark.django_db(transaction=True)
def test_queued_jobs_with_no_worker_are_never_sent_again(broker):
    """The 1,200 PDF jobs of the issue, with no ``documents`` worker: sweep after sweep,
    however old their messages, no duplicate joins them."""
    _enqueue("sweeper_pdf", 1200)
    assert len(broker.sent("documents")) == 1200
    for hours in (1, 2, 24):
        assert jobs_sweep(now=_later(hours * 3600)) == 0
    assert len(broker.sent("documents")) == 1200
    assert set(broker.sent("documents")) == set(Job.objects.values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_messages_lost_by_the_broker_are_sent_again_once(broker):
    pdfs = _enqueue("sweeper_pdf", 5)
    work = _enqueue("sweeper_work", 3)
    broker.lose()  # a Redis restart without persistence
    assert jobs_sweep(now=_later()) == 8
    assert sorted(broker.sent("documents")) == sorted(job.pk for job in pdfs)
    assert sorted(broker.sent(None)) == sorted(job.pk for job in work)
    # Sent again, they wait in their queues: the next sweeps leave them alone.
    assert jobs_sweep(now=_later(7200)) == 0
    assert len(broker.sent("documents")) == 5 and len(broker.sent(None)) == 3


@pytest.mark.django_db(transaction=True)
def test_after_a_partial_loss_the_oldest_queued_jobs_are_the_lost_ones(broker):
    old = _enqueue("sweeper_work", 3)
    broker.lose()
    Job.objects.filter(pk__in=[job.pk for job in old]).update(
        published_at=timezone.now() - dt.timedelta(minutes=5)
    )
    new = job_enqueue(kind="sweeper_work", key="sweeper_work:new", payload={"number": 9})
    assert broker.sent() == [new.pk]  # sent after the restart: still waits
    assert jobs_sweep() == 3
    assert sorted(broker.sent()) == sorted([new.pk, *(job.pk for job in old)])


@pytest.mark.django_db(transaction=True)
def test_a_message_just_taken_by_a_worker_is_not_counted_as_lost(broker, settings):
    [job] = _enqueue("sweeper_work", 1)
    broker.lose()  # as if a worker had just received it and not yet claimed it
    assert jobs_sweep() == 0
    later = timezone.now() + dt.timedelta(seconds=settings.JOB_REPUBLISH_SECONDS + 1)
    assert jobs_sweep(now=later) == 1
    assert broker.sent() == [job.pk]


@pytest.mark.django_db(transaction=True)
def test_a_failed_send_clears_the_queued_marker_and_the_sweeper_sends_it(broker):
    broker.is_down = True
    [job] = _enqueue("sweeper_work", 1)  # the request still succeeds
    job.refresh_from_db()
    assert (job.state, job.published_at) == (JobState.PENDING, None)
    # While the broker is down the sweeper cannot count or send; nothing breaks.
    assert jobs_sweep() == 1
    assert Job.objects.get(pk=job.pk).published_at is None
    broker.is_down = False
    assert jobs_sweep() == 1
    assert broker.sent() == [job.pk]
    assert jobs_sweep() == 0  # queued now


@pytest.mark.django_db(transaction=True)
def test_a_claim_takes_the_message_and_a_failed_run_is_sent_again_when_due(broker, monkeypatch):
    [job] = _enqueue("sweeper_work", 1)

    def explode(*, number: int) -> None:
        raise RuntimeError("registry unreachable")

    monkeypatch.setitem(jobs.registry.JOB_HANDLERS, "sweeper_work", jobs.JobHandler(function=explode))
    with pytest.raises(RuntimeError):
        job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.published_at, job.attempts) == (JobState.PENDING, None, 1)
    assert jobs_sweep() == 0  # not due yet
    assert jobs_sweep(now=job.next_try_at) == 1
    assert broker.sent() == [job.pk, job.pk]


@pytest.mark.django_db(transaction=True)
def test_expired_leases_are_taken_over_and_live_ones_left(broker, settings):
    dead, alive = _enqueue("sweeper_work", 2)
    now = timezone.now()
    Job.objects.filter(pk=dead.pk).update(
        state=JobState.RUNNING, attempts=1, published_at=None,
        lease_until=now - dt.timedelta(seconds=1),
    )  # fmt: skip
    Job.objects.filter(pk=alive.pk).update(
        state=JobState.RUNNING, attempts=1, published_at=None,
        lease_until=now + dt.timedelta(seconds=settings.JOB_LEASE_SECONDS),
    )  # fmt: skip
    assert jobs_sweep(now=now) == 1
    assert broker.sent() == [dead.pk, alive.pk, dead.pk]


@pytest.mark.django_db(transaction=True)
def test_a_retry_takes_over_what_its_earlier_try_held_when_the_database_went_away(broker):
    """A try of a message claimed the job and kept its follow-up, then lost the database
    before it could write anything back: both stay running under its lease. The retry
    of the same message (same task id, next try) takes the job over and releases the
    follow-up at once; another message must still wait for the lease."""
    [job] = _enqueue("sweeper_chain", 1)
    worker_run = jobs.run._WorkerRun(run_id="task-1/0")
    claimed = jobs.run._job_claim(job_id=job.pk, now=timezone.now(), run_id="task-1/0")
    assert claimed is not None
    with transaction.atomic():
        follow = job_enqueue(
            kind="sweeper_follow", key="follow:0", payload={"number": 0},
            running_job=jobs.RunningJob(job=claimed, worker_run=worker_run),
        )  # fmt: skip
    follow.refresh_from_db()
    assert (follow.state, follow.claimed_by) == (JobState.RUNNING, "task-1/0")
    # ... and here the database went away. Another message cannot take it:
    assert job_run(job_id=job.pk, run_id="task-2/0") is None
    assert job_run(job_id=job.pk, run_id="task-1/0") is None  # nor a duplicate of that try
    # The retry can.
    retried = job_run(job_id=job.pk, run_id="task-1/1", earlier_run_ids=["task-1/0"])
    assert retried is not None and retried.attempts == 2
    states = dict(Job.objects.values_list("key", "state"))
    assert states["sweeper_chain:0"] == JobState.DONE
    assert RAN == [0]
    # The follow-up it unblocked exists already (same key): the one kept earlier was
    # released and sent through the broker.
    follow.refresh_from_db()
    assert (follow.state, follow.claimed_by) == (JobState.PENDING, "")
    assert follow.pk in broker.sent()
    assert job_run(job_id=follow.pk) is not None
    assert RAN == [0, 0]
