"""Starting work: every start is an outbox row, published after commit."""

from __future__ import annotations

from .jobs import RunningJob, job_enqueue

START_APPROVAL_PREFIX = "start_approval:"


def approval_start_key(approval_id: int) -> str:
    return f"{START_APPROVAL_PREFIX}{approval_id}"


def approval_start_after_commit(*, approval_id: int, running_job: RunningJob | None = None) -> None:
    """Run the approval's checks once the current transaction commits — exactly once,
    however often this is called for the same approval. ``running_job``: the outbox job
    whose work started it; its worker may go on with this one itself."""
    job_enqueue(
        kind="start_approval",
        key=approval_start_key(approval_id),
        payload={"approval_id": approval_id},
        running_job=running_job,
    )
