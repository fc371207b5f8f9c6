"""``manage.py lottery_draw ROUND --seed HEX``: draw a verified round with its committed seed.

A thin entry point: the checks, the pool and the draw are ``round_draw``'s."""

from __future__ import annotations

import time
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q
from django.utils.translation import gettext

from lottery.constants import ApplicationState
from lottery.models import Application, Round
from lottery.services.errors import LotteryError
from lottery.services.rounds import round_draw

DEFAULT_SHOWN = 10


class Command(BaseCommand):
    help = (
        "对已完成资格审核的摇号轮次摇号：种子的SHA-256必须等于开放申请时公布的承诺，否则拒绝且不改变任何数据。"
        "摇号截止复核、冻结并公布资格池，按公开的算法确定中签者；输出资格池的SHA-256、人数、"
        "中签人数、前几名中签者和用时，以及用 tools/verify_draw.py 独立复算的命令。"
        "用法：python manage.py lottery_draw 轮次代码 --seed 十六进制种子 [--show N]"
        " / Draw a verified lottery round with the seed whose SHA-256 was published when it "
        "opened (a wrong seed is refused and changes nothing); prints the pool's SHA-256, "
        "its entries, the winners and the command that re-runs the draw independently. "
        "Usage: python manage.py lottery_draw ROUND --seed HEX [--show N]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round_code", metavar="ROUND", help="摇号轮次代码，例如 2026-6")
        parser.add_argument(
            "--seed",
            required=True,
            metavar="HEX",
            help="摇号种子（十六进制），其SHA-256须为公布的承诺",
        )
        parser.add_argument(
            "--show",
            type=int,
            default=DEFAULT_SHOWN,
            metavar="N",
            help=f"列出前 N 名中签者（默认 {DEFAULT_SHOWN}）",
        )

    def handle(
        self, *args: Any, round_code: str, seed: str, show: int = DEFAULT_SHOWN, **options: Any
    ) -> None:
        if show < 0:
            raise CommandError(gettext("--show 必须是0或正整数。"))
        started = time.monotonic()
        round_ = Round.objects.filter(code=round_code.strip()).first()
        if round_ is None:
            raise CommandError(gettext("没有代码为“%(code)s”的摇号轮次。") % {"code": round_code})
        try:
            drawn = round_draw(round_=round_, seed_hex=seed)
        except LotteryError as error:
            raise CommandError(str(error)) from None
        elapsed = time.monotonic() - started

        results = Application.objects.filter(round=drawn).aggregate(
            won=Count("id", filter=Q(state=ApplicationState.WON)),
            not_won=Count("id", filter=Q(state=ApplicationState.NOT_WON)),
        )
        first = list(
            Application.objects.filter(round=drawn, state=ApplicationState.WON)
            .order_by("draw_rank")
            .values_list("draw_rank", "lottery_code", "application_no")[:show]
        )
        write = self.stdout.write
        write(self.style.SUCCESS(gettext("轮次 %(code)s 已摇号。") % {"code": drawn.code}))
        write(gettext("种子：%(seed)s") % {"seed": drawn.seed})
        write(gettext("种子SHA-256（承诺）：%(sha)s") % {"sha": drawn.seed_sha256})
        write(gettext("资格池SHA-256：%(sha)s") % {"sha": drawn.pool_sha256})
        write(
            gettext("资格池：%(entries)d 份申请（第 %(version)d 版），文件 %(file)s")
            % {
                "entries": drawn.pool_entries,
                "version": drawn.pool_version,
                "file": _pool_location(drawn.pool_file),
            }
        )
        write(
            gettext("中签：%(won)d 份（指标 %(quota)d 个），未中签：%(not_won)d 份。")
            % {"won": results["won"], "quota": drawn.quota, "not_won": results["not_won"]}
        )
        if first:
            write(gettext("中签顺序（前 %(count)d 名）：") % {"count": len(first)})
            for rank, code, number in first:
                write(f"  {rank:>6}  {code}  {number}")
        write(gettext("用时 %(seconds).1f 秒。") % {"seconds": elapsed})
        write(
            gettext(
                "独立复算：python tools/verify_draw.py %(file)s --seed %(seed)s --quota %(quota)d --pool-sha256 %(sha)s"
            )
            % {
                "file": _pool_location(drawn.pool_file),
                "seed": drawn.seed,
                "quota": drawn.quota,
                "sha": drawn.pool_sha256,
            }
        )


def _pool_location(name: str) -> str:
    """The pool file's path on this machine, or its storage name where there is none."""
    try:
        return default_storage.path(name)
    except NotImplementedError:
        return name
