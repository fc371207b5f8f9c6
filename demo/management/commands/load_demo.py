"""``manage.py load_demo [--force] [--cases N]``: load or refresh the demo data (idempotent).

The command loads every app's demo, so it lives in the ``demo`` app above all the others
(``--cases`` runs the cases' stories through their services): an entry point, like the
URLconf, not a service.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.services.demo import CitizenDoor, DemoCasesError, demo_cases_load
from citizens.services.apply import online_application_submit, online_material_upload
from citizens.services.rating import rating_create
from citizens.services.supplement import supplement_material_upload
from departments.demo.people import REGISTRY_CODES
from departments.services.demo import DemoDataError, demo_load
from lottery.services.demo import DEMO_SEED_HEX, LotteryDemoError, lottery_demo_load
from payments.services.demo import payment_demo_pay
from supervision.models import FigureRefresh
from supervision.services.figures import supervision_figures_refresh


class Command(BaseCommand):
    help = (
        "Load the demo: the catalogue, registries of synthetic persons and companies, one "
        "login per role (clerk, agent, supervisor, lottery_officer, admin, reviewer_<department "
        "code>) with the public demo password, and the car-quota round 2026-6 open with its "
        "demo applications (its draw seed is in lottery/services/demo.py); with --cases N, "
        "also N demo cases of a day at the service centre in every state. Safe to run again: "
        "it changes only what is missing or different, and adds only the demo cases not there "
        "yet. Refuses to run with DEBUG off unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even though DEBUG is off (the demo logins share a public password).",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=0,
            metavar="N",
            help="Also make sure demo cases 0 to N-1 exist, each taken through its story by the "
            "real services (intake to hand-out and rating): queues, dashboards and charts then "
            "show something. Cases already there are kept; the same N again adds nothing.",
        )

    def handle(self, *args: Any, force: bool = False, cases: int = 0, **options: Any) -> None:
        if cases < 0:
            raise CommandError("--cases takes a number of cases, 0 or more.")
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
            "supervisor, lottery_officer, admin and reviewer_<department code>, password "
            f"{settings.DEMO_PASSWORD!r}"
        )
        self._lottery_load()
        if cases:
            self._cases_load(cases)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    def _lottery_load(self) -> None:
        try:
            lottery = lottery_demo_load()
        except LotteryDemoError as error:
            raise CommandError(str(error)) from error
        state = "open" if lottery.is_round_open else "closed"
        missing = (
            f", {lottery.applications_missing} demo applicants could not apply (closed)"
            if lottery.applications_missing
            else ""
        )
        self.stdout.write(
            f"Lottery: rule set {lottery.rule_set}; round {lottery.round_code} "
            f"({'created' if lottery.is_round_created else 'kept'}, {state}, quota "
            f"{lottery.quota}), {lottery.applications} applications "
            f"({lottery.applications_created} created{missing}); draw seed {DEMO_SEED_HEX} "
            "(lottery/services/demo.py), login lottery_officer"
        )

    def _cases_load(self, count: int) -> None:
        started = time.monotonic()
        try:
            result = demo_cases_load(
                count=count,
                citizen=CitizenDoor(
                    upload=online_material_upload,
                    submit=online_application_submit,
                    answer_supplement=supplement_material_upload,
                    rate=rating_create,
                    pay=payment_demo_pay,
                ),
            )
        except DemoCasesError as error:
            raise CommandError(str(error)) from error
        if FigureRefresh.objects.filter(name="dashboard").exists():
            # The dashboard reads its rollups while they are fresh: bring them up to date.
            supervision_figures_refresh()
        states = ", ".join(f"{state} {number}" for state, number in sorted(result.states.items()))
        self.stdout.write(
            f"Demo cases: {sum(result.states.values())} ({result.created} created, "
            f"{result.existing} already there) in {time.monotonic() - started:.1f} s — {states}"
        )

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
