"""A round's life: opened with a seed commitment, closed, its pool published, drawn."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from ..constants import ApplicationState
from ..draw import pool_lines, pool_parse, winners
from ..models import Application, Round, RuleSet
from ..rules import rule_set_problems
from .errors import LotteryError, SeedMismatchError


def round_create(
    *,
    code: str,
    name: str,
    quota: int,
    applications_open: dt.datetime,
    applications_close: dt.datetime,
    seed_sha256: str,
    rule_set: RuleSet,
) -> Round:
    """Open a round; its seed's SHA-256 is published now (the commitment)."""
    round_ = Round(
        code=(code or "").strip(),
        name=(name or "").strip(),
        quota=quota,
        applications_open=applications_open,
        applications_close=applications_close,
        seed_sha256=(seed_sha256 or "").strip().lower(),
        rule_set=rule_set,
    )
    problems = rule_set_problems(rules=rule_set.rules, weight=rule_set.weight)
    if problems:
        raise LotteryError(_("资格规则有误：%(problems)s") % {"problems": "；".join(problems)})
    try:
        round_.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise LotteryError(" ".join(messages), field=field) from None
    round_.save()
    return round_


def round_close(*, round_: Round) -> Round:
    """Close applications now (the officer's button); a closed round stays closed."""
    now = timezone.now()
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if locked.applications_close > now:
            if locked.applications_open > now:
                locked.applications_open = now - dt.timedelta(microseconds=1)
            locked.applications_close = now
            locked.save(update_fields=["applications_open", "applications_close"])
    return locked


@dataclass(frozen=True)
class PoolFile:
    sha256: str
    entries: int
    path: str


def pool_publish(*, round_id: int) -> Round:
    """Publish the pool (every eligible application's ``lottery_code,weight``, sorted by
    lottery code) if it changed: written as a file while its SHA-256 is computed,
    streamed from the database so memory stays flat. An outbox job's handler."""
    round_ = Round.objects.get(pk=round_id)
    if round_.drawn_at is not None:
        return round_
    built = _pool_build(round_)
    if built.sha256 == round_.pool_sha256:
        default_storage.delete(built.path)
        return round_
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_id)
        if locked.drawn_at is not None:
            default_storage.delete(built.path)
            return locked
        locked.pool_version += 1
        final = default_storage.save(
            f"lottery/{locked.code}/pool-{locked.pool_version}.csv",
            File(default_storage.open(built.path, "rb")),
        )
        default_storage.delete(built.path)
        locked.pool_sha256 = built.sha256
        locked.pool_entries = built.entries
        locked.pool_file = final
        locked.pool_published_at = timezone.now()
        locked.save(
            update_fields=[
                "pool_version",
                "pool_sha256",
                "pool_entries",
                "pool_file",
                "pool_published_at",
            ]
        )
    return locked


def _pool_build(round_: Round) -> PoolFile:
    entries = (
        Application.objects.filter(round=round_, state=ApplicationState.ELIGIBLE)
        .order_by("lottery_code")
        .values_list("lottery_code", "weight")
        .iterator(chunk_size=20_000)
    )
    digest = hashlib.sha256()
    count = 0
    with tempfile.TemporaryFile() as spooled:
        for line in pool_lines(entries):
            digest.update(line)
            spooled.write(line)
            count += 1
        spooled.seek(0)
        path = default_storage.save(f"lottery/{round_.code}/pool-draft.csv", File(spooled))
    return PoolFile(sha256=digest.hexdigest(), entries=count, path=path)


def seed_bytes(seed_hex: str) -> bytes:
    text = (seed_hex or "").strip()
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        raise LotteryError(_("种子必须是十六进制字符串。"), field="seed") from None
    if not seed:
        raise LotteryError(_("种子不能为空。"), field="seed")
    return seed


def round_draw(*, round_: Round, seed_hex: str, user: Any = None) -> Round:
    """Draw the round with the seed whose SHA-256 was published when it opened.

    Refused, changing nothing, when the seed does not match the commitment, the round is
    not closed or already drawn, or an application still waits (for a registry, or for
    the officer's decision on an appeal). The draw closes appeals first, publishes the
    final pool, reads that very file back to draw from it, and writes the winners (in
    draw order) and the losers in one transaction."""
    seed = seed_bytes(seed_hex)
    if hashlib.sha256(seed).hexdigest() != round_.seed_sha256:
        raise SeedMismatchError(
            _("种子的SHA-256与开放申请时公布的承诺不符，未摇号。"), field="seed"
        )
    waiting = _draw_blockers(round_)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if locked.drawn_at is not None:
            raise LotteryError(_("本轮已经摇号。"))
        if not locked.is_closed():
            raise LotteryError(_("本轮申请尚未截止。"))
        if waiting:
            raise LotteryError(waiting)
        locked.appeals_closed_at = timezone.now()
        locked.save(update_fields=["appeals_closed_at"])
    # Appeals are closed: nothing changes the pool any more.
    if _draw_blockers(round_):
        _appeals_reopen(round_)
        raise LotteryError(_draw_blockers(round_))
    published = pool_publish(round_id=round_.pk)
    with default_storage.open(published.pool_file, "rb") as pool:
        drawn = winners(seed=seed, pool=pool_parse(pool), quota=published.quota)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if locked.drawn_at is not None:
            raise LotteryError(_("本轮已经摇号。"))
        _winners_write(round_id=locked.pk, codes=drawn)
        Application.objects.filter(round_id=locked.pk, state=ApplicationState.ELIGIBLE).update(
            state=ApplicationState.NOT_WON
        )
        locked.seed = seed.hex()
        locked.drawn_at = timezone.now()
        locked.drawn_by = user if getattr(user, "is_authenticated", False) else None
        locked.save(update_fields=["seed", "drawn_at", "drawn_by"])
    return locked


def _appeals_reopen(round_: Round) -> None:
    Round.objects.filter(pk=round_.pk, drawn_at__isnull=True).update(appeals_closed_at=None)


def _draw_blockers(round_: Round) -> str:
    counts = dict(
        Application.objects.filter(
            round=round_,
            state__in=[
                ApplicationState.SUBMITTED,
                ApplicationState.PENDING_REGISTRY,
                ApplicationState.APPEALED,
            ],
        )
        .values_list("state")
        .order_by()
        .annotate(count=Count("id"))
        .values_list("state", "count")
    )
    unverified = counts.get(ApplicationState.SUBMITTED, 0) + counts.get(
        ApplicationState.PENDING_REGISTRY, 0
    )
    if unverified:
        return _("还有 %(count)d 份申请未完成资格审核，请先完成核验（lottery_verify）。") % {
            "count": unverified
        }
    if counts.get(ApplicationState.APPEALED, 0):
        return _("还有 %(count)d 份复核申请待决定。") % {"count": counts[ApplicationState.APPEALED]}
    return ""


def _winners_write(*, round_id: int, codes: list[str]) -> None:
    """Mark the winners with their place in the draw: one statement on PostgreSQL, in
    batches elsewhere (the quota, not the pool, decides the size)."""
    if not codes:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Application._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS application SET state = %s, draw_rank = given.rank "
                f"FROM unnest(%s::varchar[], %s::integer[]) AS given(code, rank) "
                f"WHERE application.round_id = %s AND application.lottery_code = given.code "
                f"AND application.state = %s",
                [
                    ApplicationState.WON,
                    codes,
                    list(range(1, len(codes) + 1)),
                    round_id,
                    ApplicationState.ELIGIBLE,
                ],
            )
        return
    rank = {code: place for place, code in enumerate(codes, start=1)}
    for start in range(0, len(codes), 500):
        batch = list(
            Application.objects.filter(
                round_id=round_id,
                lottery_code__in=codes[start : start + 500],
                state=ApplicationState.ELIGIBLE,
            ).only("id", "lottery_code")
        )
        for application in batch:
            application.state = ApplicationState.WON
            application.draw_rank = rank[application.lottery_code]
        Application.objects.bulk_update(batch, ["state", "draw_rank"])
