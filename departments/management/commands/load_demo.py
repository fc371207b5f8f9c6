"""``manage.py load_demo [--force]``: load or refresh the demo data (idempotent)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from departments.demo.people import REGISTRY_CODES
from departments.services.demo import DemoDataError, demo_load


class Command(BaseCommand):
    help = (
        "Load the demo: the catalogue, registries of synthetic persons and companies, and one "
        "login per role (clerk, agent, supervisor, admin, reviewer_<department code>) with the "
        "public demo password. Safe to run again: it changes only what is missing or different. "
        "Refuses to run with DEBUG off unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even though DEBUG is off (the demo logins share a public password).",
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        try:
            counts = demo_load(force=force)
        except DemoDataError as error:
            raise CommandError(str(error)) from error

        registries = ", ".join(
            f"{code} {counts[f'registry_{code.lower()}']}" for code in REGISTRY_CODES
        )
        self.stdout.write(f"Catalogue: {self._catalogue_summary(counts)}")
        self.stdout.write(
            f"Synthetic subjects: {counts['persons']} persons, {counts['organisations']} organisations"
        )
        self.stdout.write(f"Registry records: {registries}")
        self.stdout.write(
            f"  {counts['records_created']} created, {counts['records_updated']} updated, "
            f"{counts['records_unchanged']} unchanged"
        )
        self.stdout.write(
            f"Demo logins: {counts['users']} ({counts['users_created']} created, "
            f"{counts['users_updated']} updated) in {counts['groups']} groups — clerk, agent, "
            f"supervisor, admin and reviewer_<department code>, password {settings.DEMO_PASSWORD!r}"
        )
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    @staticmethod
    def _catalogue_summary(counts: dict[str, int]) -> str:
        """``departments 41 (41 created, 0 updated)``... from the ``catalogue_<section>_<outcome>`` counts."""
        sections: dict[str, dict[str, int]] = {}
        for key, number in counts.items():
            if key.startswith("catalogue_"):
                section, _, outcome = key.removeprefix("catalogue_").rpartition("_")
                sections.setdefault(section or outcome, {})[outcome] = number
        return (
            "; ".join(
                f"{section} {sum(outcomes.values())} "
                f"({outcomes.get('created', 0)} created, {outcomes.get('updated', 0)} updated)"
                for section, outcomes in sections.items()
            )
            or "imported"
        )
