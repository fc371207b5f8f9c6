"""Publishing tasks, always after the current transaction commits."""

from __future__ import annotations

from django.db import transaction

from ..tasks import start_approval


def approval_start_after_commit(*, approval_id: int) -> None:
    transaction.on_commit(lambda: start_approval.delay(approval_id))
