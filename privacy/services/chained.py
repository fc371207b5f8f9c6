"""Deleting expired rows of an append-only, hash-chained table and keeping it verifiable.

The audit tables refuse ``update()`` and ``delete()`` for everyone (``cases/models/base.py``)
and keep refusing: retention is the one sanctioned removal, and it happens here, in one
plain SQL statement per chunk, inside the transaction that records the removed range
(``AuditChainGap``), under the chain head's row lock — the lock every insert into that
chain takes, so no link is added while a range is being cut and two runs never record
the same range twice.

A row that another row still points to (any foreign key: ``CaseMaterial.verification``,
which the case's checklist needs as the proof a material was met by a registry check) is
part of that record and stays as long as it is pointed to; removed ranges simply skip it.
"""

from __future__ import annotations

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from cases.audit import ChainGap, chain_head_name
from cases.models import AuditChainHead

from ..exceptions import RetentionError
from ..models import AuditChainGap, RetentionRun


def _references(model: type[models.Model]) -> list[models.ForeignKey]:
    """Every foreign key (of any installed app) that points at ``model``'s rows."""
    return [
        relation.field
        for relation in model._meta.related_objects
        if (relation.one_to_many or relation.one_to_one) and not relation.many_to_many
    ]


def unreferenced(queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` no other row points to."""
    for field in _references(queryset.model):
        pointing = field.model._base_manager.filter(
            **{field.name: OuterRef(field.target_field.attname)}
        )
        queryset = queryset.exclude(Exists(pointing))
    return queryset


def _delete_sql(model: type[models.Model], count: int) -> str:
    """``DELETE`` of the given ids, re-checking in the same statement that nothing points
    to them (a row referenced since it was selected is left, and the chunk rolls back)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    conditions = [f"{quote(model._meta.pk.column)} IN ({', '.join(['%s'] * count)})"]
    for field in _references(model):
        conditions.append(
            f"NOT EXISTS (SELECT 1 FROM {quote(field.model._meta.db_table)} "
            f"WHERE {quote(field.column)} = {table}.{quote(field.target_field.column)})"
        )
    return f"DELETE FROM {table} WHERE " + " AND ".join(conditions)


def _islands(rows: list[tuple[int, int, str, str]]) -> list[ChainGap]:
    """Consecutive positions as ranges; rows are (id, position, previous_hash, row_hash)
    in position order."""
    ranges: list[ChainGap] = []
    for _pk, position, previous_hash, row_hash in rows:
        last = ranges[-1] if ranges else None
        if last is not None and last.last_position + 1 == position:
            ranges[-1] = ChainGap(last.first_position, position, last.previous_hash, row_hash)
        else:
            ranges.append(ChainGap(position, position, previous_hash, row_hash))
    return ranges


def _merge(ranges: list[ChainGap]) -> list[ChainGap]:
    """Adjacent ranges (recorded before, or cut now) as one."""
    merged: list[ChainGap] = []
    for gap in sorted(ranges, key=lambda gap: gap.first_position):
        last = merged[-1] if merged else None
        if last is not None and last.last_position + 1 == gap.first_position:
            merged[-1] = ChainGap(
                last.first_position, gap.last_position, last.previous_hash, gap.last_hash
            )
        else:
            merged.append(gap)
    return merged


def _chain_filter(chain: int | None) -> Q:
    return Q(chain__isnull=True) if chain is None else Q(chain=chain)


def _remove_chunk(
    *, candidates: QuerySet, chain: int | None, run: RetentionRun, chunk_size: int
) -> int:
    model = candidates.model
    name = chain_head_name(model._meta.label_lower, chain)
    with transaction.atomic():
        # The insert side's lock (cases/audit.py): nothing moves this chain meanwhile.
        AuditChainHead.objects.select_for_update().filter(name=name).first()
        rows = list(
            candidates.filter(_chain_filter(chain))
            .order_by("chain_position")
            .values_list("pk", "chain_position", "previous_hash", "row_hash")[:chunk_size]
        )
        if not rows:
            return 0
        cut = _islands(rows)
        starts = [gap.first_position for gap in cut]
        ends = [gap.last_position for gap in cut]
        touching = list(
            AuditChainGap.objects.select_for_update().filter(
                Q(last_position__in=[start - 1 for start in starts])
                | Q(first_position__in=[end + 1 for end in ends]),
                chain_name=name,
            )
        )
        recorded = [
            ChainGap(gap.first_position, gap.last_position, gap.previous_hash, gap.last_hash)
            for gap in touching
        ]
        ids = [row[0] for row in rows]
        with connection.cursor() as cursor:
            cursor.execute(_delete_sql(model, len(ids)), ids)
            if cursor.rowcount != len(ids):
                # Rolls the chunk back; the next run leaves the newly referenced rows.
                raise RetentionError(
                    _("%(chain)s：有 %(count)s 条记录在清理期间被引用，本批已回滚。")
                    % {"chain": name, "count": len(ids) - cursor.rowcount}
                )
        AuditChainGap.objects.filter(pk__in=[gap.pk for gap in touching]).delete()
        AuditChainGap.objects.bulk_create(
            [
                AuditChainGap(
                    chain_name=name,
                    first_position=gap.first_position,
                    last_position=gap.last_position,
                    previous_hash=gap.previous_hash,
                    last_hash=gap.last_hash,
                    run=run,
                )
                for gap in _merge(recorded + cut)
            ]
        )
    return len(ids)


def chained_rows_remove(
    *, expired: QuerySet, dry_run: bool, run: RetentionRun | None, chunk_size: int
) -> int:
    """Delete the rows of ``expired`` (an append-only model's rows past their period) that
    nothing points to, chain by chain and chunk by chunk, recording each removed range.
    Returns how many went (with ``dry_run``: how many would, changing nothing)."""
    candidates = unreferenced(expired.filter(chain_position__isnull=False))
    if dry_run or run is None:
        return candidates.count()
    removed = 0
    chains = sorted(
        set(candidates.order_by().values_list("chain", flat=True).distinct()),
        key=lambda chain: chain or 0,
    )
    for chain in chains:
        while True:
            cut = _remove_chunk(candidates=candidates, chain=chain, run=run, chunk_size=chunk_size)
            removed += cut
            if cut < chunk_size:
                break
    return removed


def chain_gaps_recorded(name: str) -> list[ChainGap]:
    """``cases.audit``'s gap source: the ranges retention removed from one chain."""
    return [
        ChainGap(*row)
        for row in AuditChainGap.objects.filter(chain_name=name)
        .order_by("first_position")
        .values_list("first_position", "last_position", "previous_hash", "last_hash")
    ]
