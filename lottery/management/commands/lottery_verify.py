"""``manage.py lottery_verify ROUND [--no-progress] [--no-wait]``: verify a closed round.

A thin entry point: ``round_verification_start`` records one outbox job per chunk of the
round's unfinished applications (Celery workers run them in full mode; the embedded mode
runs them in this process before the call returns); the command then follows the run
and prints its summary.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext
from tqdm import tqdm

from cases.constants import JobState
from cases.models import Job
from departments.models import Registry
from lottery.constants import ApplicationState
from lottery.models import Application, Round
from lottery.services.errors import LotteryError
from lottery.services.verification import (
    CHUNK_JOB,
    RoundProgress,
    VerificationStart,
    round_failures_by_rule,
    round_progress,
    round_verification_start,
)

OPEN_JOB_STATES = (JobState.PENDING, JobState.RUNNING)
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class ChunkJobs:
    # Chunk jobs of the round still to run (of any run: an earlier one may be retried).
    open: int
    # Chunk jobs of this run that have finished (done, or failed for good).
    finished: int


def round_chunk_jobs(*, round_: Round, run: int) -> ChunkJobs:
    """The round's verification jobs in the outbox: one aggregate query (the keys are
    ``lottery:<round id>:verify:<run>:<first id>``, see ``round_verification_start``)."""
    this_run = Q(key__startswith=f"lottery:{round_.pk}:verify:{run}:")
    counts = Job.objects.filter(
        kind=CHUNK_JOB, key__startswith=f"lottery:{round_.pk}:verify:"
    ).aggregate(
        open=Count("id", filter=Q(state__in=OPEN_JOB_STATES)),
        finished=Count("id", filter=this_run & ~Q(state__in=OPEN_JOB_STATES)),
    )
    return ChunkJobs(open=counts["open"], finished=counts["finished"])


def round_pending_registries(*, round_: Round) -> dict[str, int]:
    """How many applications wait for each registry (``PENDING_REGISTRY``), read in
    chunks so memory stays flat however many wait."""
    counts: Counter[str] = Counter()
    reasons = (
        Application.objects.filter(round=round_, state=ApplicationState.PENDING_REGISTRY)
        .values_list("reasons", flat=True)
        .iterator(chunk_size=10_000)
    )
    for listed in reasons:
        for reason in (json.loads(listed) if isinstance(listed, str) else listed) or []:
            if reason.get("registry"):
                counts[reason["registry"]] += 1
    return dict(counts)


def rule_reasons(tree: Any, found: dict[str, str] | None = None) -> dict[str, str]:
    """Rule code → the reason it gives, from a rule set's tree."""
    found = {} if found is None else found
    if isinstance(tree, dict):
        if tree.get("rule") and tree.get("reason"):
            found.setdefault(tree["rule"], tree["reason"])
        for child in tree.get("all", []) + tree.get("any", []):
            rule_reasons(child, found)
    return found


class Command(BaseCommand):
    help = (
        "对已截止申请的摇号轮次进行资格审核：逐批将每份申请与其规则涉及的各共享数据库比对"
        "（完整模式下由各 Celery 工作进程并行处理，嵌入模式下在本进程内处理），显示进度条，"
        "完成后列出审核通过、未通过、待核验（共享数据库暂不可用，列出是哪些库）的份数、"
        "各规则未通过的份数和用时。再次运行只核验尚未完成的申请（已提交和待核验），不重置任何结果。"
        "轮次不存在、仍在申请期内或已摇号时报错退出。"
        "用法：python manage.py lottery_verify 轮次代码 [--no-progress] [--no-wait]"
        " / Verify a closed lottery round against every registry its rules read, with a "
        "progress bar and a summary; a rerun verifies only what is unfinished. "
        "Usage: python manage.py lottery_verify ROUND [--no-progress] [--no-wait]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round_code", metavar="ROUND", help="摇号轮次代码，例如 2026-6")
        parser.add_argument(
            "--no-progress", action="store_true", help="不显示进度条（非终端时也不显示）"
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            default=True,
            help="等待核验结束并列出结果（默认）",
        )
        parser.add_argument(
            "--no-wait",
            action="store_false",
            dest="wait",
            help="只开始核验，不等待：由工作进程在后台完成，稍后可再次运行本命令查看",
        )

    def handle(
        self,
        *args: Any,
        round_code: str,
        no_progress: bool = False,
        wait: bool = True,
        **options: Any,
    ) -> None:
        started = time.monotonic()
        round_ = self._round(round_code)
        embedded = bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))
        if embedded:
            self.stdout.write(gettext("嵌入模式：在本进程内逐批核验……"))
        try:
            start = round_verification_start(round_=round_)
        except LotteryError as error:
            raise CommandError(str(error)) from None
        if start.chunks == 0:
            self.stdout.write(gettext("没有需要核验的申请：本轮的申请均已完成核验。"))
        else:
            self.stdout.write(
                gettext("第 %(run)d 次核验：%(applications)d 份申请，分 %(chunks)d 批。")
                % {"run": start.run, "applications": start.applications, "chunks": start.chunks}
            )
        if not wait:
            self.stdout.write(
                gettext("核验在后台进行；稍后再次运行本命令可查看结果（只核验尚未完成的申请）。")
            )
            return
        if embedded or start.chunks == 0:
            progress = round_progress(round_=round_)
            jobs = round_chunk_jobs(round_=round_, run=start.run)
        else:
            progress, jobs = self._follow(round_, start, disabled=no_progress)
        self._summary(round_, start, progress, jobs, elapsed=time.monotonic() - started)

    def _round(self, code: str) -> Round:
        round_ = Round.objects.select_related("rule_set").filter(code=code.strip()).first()
        if round_ is None:
            codes = list(
                Round.objects.order_by("-applications_open").values_list("code", flat=True)[:10]
            )
            raise CommandError(
                gettext("没有代码为“%(code)s”的摇号轮次；现有：%(codes)s。")
                % {"code": code, "codes": "、".join(codes) or gettext("无")}
            )
        if round_.drawn_at is not None:
            raise CommandError(
                gettext("轮次 %(code)s 已于 %(drawn)s 摇号，资格审核已结束。")
                % {"code": round_.code, "drawn": _when(round_.drawn_at)}
            )
        if not round_.is_closed():
            raise CommandError(
                gettext("轮次 %(code)s 仍在申请期内（%(close)s 截止），截止后才能开始资格审核。")
                % {"code": round_.code, "close": _when(round_.applications_close)}
            )
        return round_

    def _follow(
        self, round_: Round, start: VerificationStart, *, disabled: bool
    ) -> tuple[RoundProgress, ChunkJobs]:
        """Poll once a second until no chunk job of the round is open, or nothing is left
        unfinished. The jobs are read before the states: once no job is open, every
        verdict is committed before the states are counted."""
        bar = tqdm(
            total=start.chunks,
            unit=gettext("批"),
            desc=round_.code,
            file=sys.stderr,
            disable=disabled or not sys.stderr.isatty(),
        )
        try:
            with bar:
                while True:
                    jobs = round_chunk_jobs(round_=round_, run=start.run)
                    progress = round_progress(round_=round_)
                    bar.update(min(jobs.finished, start.chunks) - bar.n)
                    bar.set_postfix_str(_states_line(progress), refresh=True)
                    if jobs.open == 0 or progress.unfinished == 0:
                        return progress, jobs
                    time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            raise CommandError(
                gettext(
                    "已停止等待；核验仍在工作进程上进行。稍后再次运行本命令可查看结果"
                    "（只核验尚未完成的申请）。"
                ),
                returncode=130,
            ) from None

    def _summary(
        self,
        round_: Round,
        start: VerificationStart,
        progress: RoundProgress,
        jobs: ChunkJobs,
        *,
        elapsed: float,
    ) -> None:
        states = progress.states
        write = self.stdout.write
        write(
            gettext("轮次 %(code)s（%(name)s）：共 %(total)d 份申请。")
            % {"code": round_.code, "name": round_.name, "total": progress.total}
        )
        write(
            gettext("  审核通过：%(count)d") % {"count": states.get(ApplicationState.ELIGIBLE, 0)}
        )
        write(
            gettext("  审核未通过：%(count)d")
            % {"count": states.get(ApplicationState.INELIGIBLE, 0)}
        )
        pending = states.get(ApplicationState.PENDING_REGISTRY, 0)
        write(gettext("  待核验（共享数据库暂不可用）：%(count)d") % {"count": pending})
        if pending:
            waiting = round_pending_registries(round_=round_)
            names = dict(Registry.objects.filter(code__in=waiting).values_list("code", "name"))
            for code, count in sorted(waiting.items(), key=lambda item: (-item[1], item[0])):
                write(
                    gettext("    %(name)s（%(code)s）：%(count)d 份")
                    % {"name": names.get(code, code), "code": code, "count": count}
                )
        for state in (ApplicationState.SUBMITTED, ApplicationState.APPEALED):
            if states.get(state):
                write(f"  {state.label}：{states[state]}")
        failures = round_failures_by_rule(round_=round_)
        if failures:
            write(gettext("各规则未通过的份数："))
            reasons = {
                code: reason
                for tree in round_.rule_set.rules.values()
                for code, reason in rule_reasons(tree).items()
            }
            for rule, count in sorted(failures.items(), key=lambda item: (-item[1], item[0])):
                write(
                    gettext("  %(rule)s %(reason)s：%(count)d")
                    % {"rule": rule, "reason": reasons.get(rule, ""), "count": count}
                )
        write(gettext("用时 %(seconds).1f 秒。") % {"seconds": elapsed})
        if pending or states.get(ApplicationState.SUBMITTED):
            if jobs.open:
                write(
                    gettext("还有 %(count)d 批核验等待重试，工作进程会自动完成。")
                    % {"count": jobs.open}
                )
            self.stdout.write(
                self.style.WARNING(
                    gettext(
                        "还有 %(count)d 份申请未完成核验：共享数据库恢复后再次运行本命令，"
                        "只核验这些申请。"
                    )
                    % {"count": progress.unfinished}
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS(gettext("资格审核已完成。")))


def _states_line(progress: RoundProgress) -> str:
    states = progress.states
    return gettext(
        "通过 %(eligible)d，未通过 %(ineligible)d，待核验 %(pending)d，未处理 %(submitted)d"
    ) % {
        "eligible": states.get(ApplicationState.ELIGIBLE, 0),
        "ineligible": states.get(ApplicationState.INELIGIBLE, 0),
        "pending": states.get(ApplicationState.PENDING_REGISTRY, 0),
        "submitted": states.get(ApplicationState.SUBMITTED, 0),
    }


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
