"""``manage.py import_registry REGISTRY_CODE FILE.jsonl [--replace]``: load a registry snapshot.

A thin entry point: the checks and the writing are ``registry_snapshot_import``'s."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext
from tqdm import tqdm

from departments.models import Registry
from departments.services.registry_import import (
    DEFAULT_CHUNK_SIZE,
    RegistrySnapshotError,
    registry_snapshot_import,
)


class Command(BaseCommand):
    help = (
        "导入共享数据库快照（JSON Lines，每行一个 "
        '{"subject_id": "身份证号码或统一社会信用代码", "data": {...}}）。'
        "已有主体的数据被替换；加 --replace 时快照即为该库的全部内容，快照中没有的主体被删除。"
        "同一主体出现多行时，以最后一行为准。任何一行有误（不是JSON、不是对象、缺少或空的 "
        "subject_id、号码校验码错误、data 不是对象）都会连同行号列出，且不写入任何数据。"
        " / Import a registry snapshot (JSON Lines, one "
        '{"subject_id": ..., "data": {...}} a line). Existing subjects get the new data; '
        "with --replace the snapshot replaces all of the registry's records. A subject on "
        "several lines: the last line wins. Any bad line is reported with its number and "
        "nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("registry", metavar="REGISTRY_CODE", help="共享数据库代码")
        parser.add_argument("file", type=Path, help="快照文件（UTF-8 JSON Lines）")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="快照替换该库的全部记录（在一个事务中），快照中没有的主体被删除",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="不显示进度条（非终端时也不显示）"
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=DEFAULT_CHUNK_SIZE,
            metavar="N",
            help=f"每批写入的行数（默认 {DEFAULT_CHUNK_SIZE}）",
        )

    def handle(
        self,
        *args: Any,
        registry: str,
        file: Path,
        replace: bool = False,
        no_progress: bool = False,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        **options: Any,
    ) -> None:
        if chunk_size < 1:
            raise CommandError(gettext("--chunk-size 必须是正整数。"))
        found = Registry.objects.filter(code=registry).first()
        if found is None:
            raise CommandError(
                gettext("没有代码为 %(code)s 的共享数据库；现有：%(codes)s。")
                % {
                    "code": registry,
                    "codes": "、".join(Registry.objects.values_list("code", flat=True))
                    or gettext("无"),
                }
            )
        try:
            handle = file.open("rb")
        except OSError as error:
            raise CommandError(
                gettext("无法打开快照文件 %(file)s：%(error)s")
                % {"file": file, "error": error.strerror or error}
            ) from None
        with handle, self._progress_bar(file, disabled=no_progress) as bar:
            # The bar follows the bytes read (the file's size is known, its lines are not).
            def progress(_lines: int) -> None:
                bar.update(handle.tell() - bar.n)

            try:
                summary = registry_snapshot_import(
                    registry=found,
                    lines=handle,
                    replace=replace,
                    progress=progress,
                    chunk_size=chunk_size,
                )
            except RegistrySnapshotError as error:
                raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                gettext(
                    "共享数据库 %(code)s：读入 %(records)d 条记录，新增 %(inserted)d 条，"
                    "更新 %(updated)d 条，删除 %(deleted)d 条。"
                )
                % {
                    "code": found.code,
                    "records": summary.records,
                    "inserted": summary.inserted,
                    "updated": summary.updated,
                    "deleted": summary.deleted,
                }
            )
        )

    @staticmethod
    def _progress_bar(file: Path, *, disabled: bool) -> tqdm:
        try:
            total = file.stat().st_size
        except OSError:
            total = None
        return tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            desc=file.name,
            file=sys.stderr,
            disable=disabled or not sys.stderr.isatty(),
        )
