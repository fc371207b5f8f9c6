"""A retention run: every registered kind, each with its period, recorded as it goes."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from ..constants import RunStatus, RunTrigger
from ..exceptions import RetentionError
from ..models import RetentionRun
from ..retention import RetentionKind, registered_kinds


def retention_periods() -> dict[str, int]:
    """Each kind's period in days (0: kept without limit). A period that is not a whole
    number of days, or is negative, stops the run before anything changes."""
    periods: dict[str, int] = {}
    for kind in registered_kinds():
        value = getattr(settings, kind.setting_name, None)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RetentionError(
                _("保存期限 %(setting)s 应为不小于 0 的整数天数，当前为 %(value)s；未做任何清理。")
                % {"setting": kind.setting_name, "value": value}
            )
        periods[kind.kind] = value
    return periods


def _apply(
    kind: RetentionKind, *, days: int, now: dt.datetime, dry_run: bool, run: RetentionRun | None
) -> int | None:
    if days == 0:
        return None
    return kind.apply(cutoff=now - dt.timedelta(days=days), dry_run=dry_run, run=run)


def retention_apply(*, trigger: str = RunTrigger.COMMAND, dry_run: bool = False) -> RetentionRun:
    """Delete or anonymise every kind of personal data past its period and record the run.

    What the operator sees: one ``RetentionRun`` (admin, 个人信息清理记录) with the periods
    used and the rows handled per kind; a failure marks it failed with the error, keeping
    the counts of the chunks already done (each committed). With ``dry_run`` nothing is
    written at all: the run returned is not saved, its counts are what would go.
    """
    periods = retention_periods()
    now = timezone.now()
    kinds = registered_kinds()
    if dry_run:
        counts = {
            kind.kind: _apply(kind, days=periods[kind.kind], now=now, dry_run=True, run=None)
            for kind in kinds
        }
        return RetentionRun(
            started_at=now,
            finished_at=timezone.now(),
            trigger=trigger,
            status=RunStatus.SUCCESS,
            periods=periods,
            counts=counts,
        )
    run = RetentionRun.objects.create(started_at=now, trigger=trigger, periods=periods)
    try:
        for kind in kinds:
            run.counts[kind.kind] = _apply(
                kind, days=periods[kind.kind], now=now, dry_run=False, run=run
            )
            RetentionRun.objects.filter(pk=run.pk).update(counts=run.counts)
    except Exception as error:
        run.status, run.error, run.finished_at = RunStatus.FAILED, str(error), timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    run.status, run.finished_at = RunStatus.SUCCESS, timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return run
