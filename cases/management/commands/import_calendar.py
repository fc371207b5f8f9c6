"""``manage.py import_calendar 2027 holidays-2027.txt --source "国务院办公厅关于2027年部分节假日安排的通知"``

Stores a year's announced holidays and make-up working days (one ``日期 休/班 名称`` a
line, as on the supervisors' calendar page) and recomputes the open due dates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.services.calendar import (
    CalendarEntryError,
    calendar_entries_parse,
    working_calendar_year_set,
)


class Command(BaseCommand):
    help = "Import a year's announced public holidays and adjusted working days (调休)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int)
        parser.add_argument("file", type=Path, help="UTF-8 text: '2027-02-06 休 春节' a line")
        parser.add_argument("--source", required=True, help="the announcement's title")

    def handle(self, *args: Any, year: int, file: Path, source: str, **options: Any) -> None:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{file}: {error}") from None
        try:
            result = working_calendar_year_set(
                year=year, entries=calendar_entries_parse(text=text), source=source, actor=None
            )
        except CalendarEntryError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{year}: saved; due dates moved for {result.cases_moved} cases and "
            f"{result.approvals_moved} approvals"
        )
