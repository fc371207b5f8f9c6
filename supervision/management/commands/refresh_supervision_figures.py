"""``manage.py refresh_supervision_figures``: rebuild the dashboard's rollups now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from supervision.services.figures import supervision_figures_refresh


class Command(BaseCommand):
    help = (
        "Rebuild the pre-aggregated dashboard figures (the periodic task does it every 5 minutes)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        refresh = supervision_figures_refresh()
        self.stdout.write(f"Dashboard figures rebuilt in {refresh.seconds:.1f} s.")
