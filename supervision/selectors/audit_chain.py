"""Walk the audit hash chains (``cases/audit.py``) and find the first broken link."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from cases.audit import GENESIS_HASH, row_digest
from cases.models import AuditChainHead, CaseEvent, CourierEvent, Verification

AUDITED_MODELS: tuple[type[models.Model], ...] = (CaseEvent, Verification, CourierEvent)
BATCH_SIZE = 2000


@dataclass(frozen=True)
class ChainReport:
    table: str
    rows: int
    head_hash: str
    broken_row_id: int | None = None
    broken_position: int | None = None
    problem: str = ""

    @property
    def is_intact(self) -> bool:
        return not self.problem


def _walk(model: type[models.Model]) -> ChainReport:
    table = model._meta.label_lower
    unchained = model.objects.filter(chain_position__isnull=True).order_by("pk").first()
    if unchained is not None:
        return ChainReport(
            table=table,
            rows=0,
            head_hash="",
            broken_row_id=unchained.pk,
            problem="row is not in the chain (no position): inserted outside the application",
        )
    expected_position, previous_hash, rows = 1, GENESIS_HASH, 0
    # Rows are inserted under the chain lock, so ids grow with chain positions; walking
    # by id, a row whose position was edited is itself the one named.
    for row in model.objects.order_by("pk").iterator(chunk_size=BATCH_SIZE):
        problem = ""
        if row.chain_position != expected_position:
            problem = (
                f"expected position {expected_position}, found {row.chain_position}: "
                f"rows missing before it, or its position was changed"
            )
        elif row.previous_hash != previous_hash:
            problem = "previous-hash link does not match the row before it"
        elif row_digest(row) != row.row_hash:
            problem = "content does not match its hash: the row was changed"
        if problem:
            return ChainReport(
                table=table,
                rows=rows,
                head_hash=previous_hash,
                broken_row_id=row.pk,
                broken_position=row.chain_position,
                problem=problem,
            )
        rows += 1
        expected_position += 1
        previous_hash = row.row_hash
    head = AuditChainHead.objects.filter(name=table).first()
    head_position = head.position if head else 0
    head_hash = head.last_hash if head else GENESIS_HASH
    if head_position != rows or head_hash != previous_hash:
        return ChainReport(
            table=table,
            rows=rows,
            head_hash=previous_hash,
            broken_position=rows + 1 if head_position > rows else None,
            problem=(
                f"chain head says {head_position} rows ending in {head_hash[:12]}…, "
                f"the table holds {rows} ending in {previous_hash[:12]}…: rows removed at the end"
            ),
        )
    return ChainReport(table=table, rows=rows, head_hash=previous_hash)


def audit_chains_verify() -> list[ChainReport]:
    """One report per audited table; a broken chain names its first broken row."""
    return [_walk(model) for model in AUDITED_MODELS]
