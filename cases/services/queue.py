"""Starting work: every start is an outbox row, published after commit."""

from __future__ import annotations

from .jobs import job_enqueue

START_APPROVAL_PREFIX = "start_approval:"


def approval_start_key(approval_id: int) -> str:
    return f"{START_APPROVAL_PREFIX}{approval_id}"


def approval_start_after_commit(*, approval_id: int) -> None:
    """Run the approval's checks once the current transaction commits — exactly once,
    however often this is called for the same approval."""
    job_enqueue(
        kind="start_approval",
        key=approval_start_key(approval_id),
        payload={"approval_id": approval_id},
    )
