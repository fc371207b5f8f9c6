"""Walk the audit hash chains (``cases/audit.py``) and find the first broken link."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from cases.audit import GENESIS_HASH, ChainGap, chain_gaps, chain_head_name, row_digest
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
    # Rows removed on purpose by retention (``cases.audit.chain_gaps``), skipped where they link.
    removed: int = 0

    @property
    def is_intact(self) -> bool:
        return not self.problem


def _walk(model: type[models.Model]) -> list[ChainReport]:
    """One report per chain of the table (``cases/audit.py`` splits each table)."""
    table = model._meta.label_lower
    unchained = model.objects.filter(chain_position__isnull=True).order_by("pk").first()
    if unchained is not None:
        return [
            ChainReport(
                table=table,
                rows=0,
                head_hash="",
                broken_row_id=unchained.pk,
                problem="row is not in the chain (no position): inserted outside the application",
            )
        ]
    heads = {
        head.name: head
        for head in AuditChainHead.objects.filter(
            models.Q(name=table) | models.Q(name__startswith=f"{table}/")
        )
    }
    chains = set(model.objects.values_list("chain", flat=True).distinct())
    for name in heads:
        chains.add(int(name.rsplit("/", 1)[1]) if "/" in name else None)
    chains.add(None)  # chain 0 is reported even when empty
    return [
        _walk_chain(model, chain, heads.get(chain_head_name(table, chain)))
        for chain in sorted(chains, key=lambda chain: chain or 0)
    ]


def _walk_chain(
    model: type[models.Model], chain: int | None, head: AuditChainHead | None
) -> ChainReport:
    table = chain_head_name(model._meta.label_lower, chain)
    expected_position, previous_hash, rows = 1, GENESIS_HASH, 0
    gaps = chain_gaps(table)
    removed = 0

    def skip_removed() -> None:
        # A removed range is skipped only where it starts right here and links to the
        # hash reached so far; the next row must then link to the range's last hash.
        nonlocal expected_position, previous_hash, removed
        gap: ChainGap | None = gaps.get(expected_position)
        while gap is not None and gap.previous_hash == previous_hash:
            removed += gap.rows
            expected_position, previous_hash = gap.last_position + 1, gap.last_hash
            gap = gaps.get(expected_position)

    # Rows are inserted under their chain's lock, so ids grow with chain positions;
    # walking by id, a row whose position was edited is itself the one named.
    in_chain = (
        model.objects.filter(chain__isnull=True)
        if chain is None
        else model.objects.filter(chain=chain)
    )
    for row in in_chain.order_by("pk").iterator(chunk_size=BATCH_SIZE):
        skip_removed()
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
                removed=removed,
            )
        rows += 1
        expected_position += 1
        previous_hash = row.row_hash
    skip_removed()
    last_position = expected_position - 1  # rows present plus rows removed by retention
    head_position = head.position if head else 0
    head_hash = head.last_hash if head else GENESIS_HASH
    if head_position != last_position or head_hash != previous_hash:
        return ChainReport(
            table=table,
            rows=rows,
            head_hash=previous_hash,
            broken_position=last_position + 1 if head_position > last_position else None,
            problem=(
                f"chain head says {head_position} rows ending in {head_hash[:12]}…, "
                f"the table holds {last_position} ending in {previous_hash[:12]}…: "
                "rows removed at the end"
            ),
            removed=removed,
        )
    return ChainReport(table=table, rows=rows, head_hash=previous_hash, removed=removed)


def audit_chains_verify() -> list[ChainReport]:
    """One report per chain of each audited table; a broken chain names its first broken row."""
    return [report for model in AUDITED_MODELS for report in _walk(model)]
