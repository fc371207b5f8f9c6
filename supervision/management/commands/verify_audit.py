"""``manage.py verify_audit``: walk the audit hash chains; name the first broken row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from supervision.selectors.audit_chain import audit_chains_verify


class Command(BaseCommand):
    help = (
        "Verify the hash chains of the audit tables (case events, data-access log). "
        "Exits with status 1 and names the first broken row when a row was changed, "
        "removed or inserted outside the application."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        broken = []
        for report in audit_chains_verify():
            if report.is_intact:
                removed = f" ({report.removed} removed by retention)" if report.removed else ""
                self.stdout.write(
                    f"{report.table}: {report.rows} rows{removed}, chain intact, "
                    f"head {report.head_hash}"
                )
                continue
            where = f"row id={report.broken_row_id}" if report.broken_row_id is not None else "end"
            position = (
                f" (position {report.broken_position})"
                if report.broken_position is not None
                else ""
            )
            message = f"{report.table}: chain broken at {where}{position}: {report.problem}"
            self.stderr.write(message)
            broken.append(message)
        if broken:
            raise CommandError("Audit chain broken. First: " + broken[0])
