"""``manage.py apply_retention [--dry-run]``: delete or anonymise expired personal data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from privacy.constants import RunTrigger
from privacy.exceptions import RetentionError
from privacy.retention import registered_kinds
from privacy.services.runs import retention_apply


class Command(BaseCommand):
    help = (
        "Delete or anonymise the personal data past its retention period (RETENTION_*_DAYS) "
        "and record the run (admin: privacy runs). --dry-run only counts, changing nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would go; change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        try:
            run = retention_apply(trigger=RunTrigger.COMMAND, dry_run=dry_run)
        except RetentionError as error:
            raise CommandError(str(error)) from error
        verb = "would delete or anonymise" if dry_run else "deleted or anonymised"
        for kind in registered_kinds():
            days = run.periods[kind.kind]
            count = run.counts.get(kind.kind)
            if count is None:
                self.stdout.write(f"{kind.kind}: kept without limit (0 days)")
            else:
                self.stdout.write(f"{kind.kind}: {verb} {count} (older than {days} days)")
        if not dry_run:
            self.stdout.write(f"recorded as retention run {run.pk}")
