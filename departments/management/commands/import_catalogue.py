"""``manage.py import_catalogue FILE``: load a catalogue YAML file, all or nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from departments.services.catalogue import SECTION_NAMES, CatalogueError, catalogue_import


class Command(BaseCommand):
    help = (
        "Import a catalogue YAML file (departments, registries, certificate and material types, "
        "items, bundles, sharing agreements). Rows are matched by code and updated or created; "
        "nothing is written unless the whole file is valid, and every problem is listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the catalogue YAML file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = catalogue_import(path=options["file"])
        except CatalogueError as error:
            raise CommandError(
                f"Catalogue not imported, nothing was written ({len(error.messages)} "
                f"problem{'s' if len(error.messages) != 1 else ''}):\n" + "\n".join(error.messages)
            ) from error
        for section in SECTION_NAMES:
            created, updated, unchanged = (
                counts[f"{section}_{outcome}"] for outcome in ("created", "updated", "unchanged")
            )
            self.stdout.write(
                f"{section}: {created} created, {updated} updated, {unchanged} unchanged"
            )
        self.stdout.write(self.style.SUCCESS("Catalogue imported."))
