from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from cases.services.jobs import jobs_sweep
from cases.services.reconcile import cases_reconcile


class Command(BaseCommand):
    help = "Run the outbox sweeper and the reconciler once (what Celery beat runs periodically)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-grace",
            action="store_true",
            help="Treat pending work as stale at once, ignoring the grace periods "
            "(running jobs are still taken over only when their lease has expired).",
        )

    def handle(self, *args, **options) -> None:
        now = timezone.now() + timedelta(days=1) if options["no_grace"] else None
        published = jobs_sweep(now=now)
        repaired = cases_reconcile(now=now)
        self.stdout.write(f"republished {published} jobs; repaired {repaired}")
