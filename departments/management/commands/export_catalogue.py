"""``manage.py export_catalogue [FILE]``: the catalogue as YAML, to a file or stdout."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from departments.services.catalogue import catalogue_export


class Command(BaseCommand):
    help = (
        "Export the whole catalogue as YAML in the format import_catalogue reads. "
        "Writes FILE when given, otherwise prints to standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="where to write the YAML (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        if path is None:
            self.stdout.write(catalogue_export(), ending="")
            return
        try:
            catalogue_export(path=path)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}") from error
        self.stdout.write(self.style.SUCCESS(f"Catalogue written to {path}."))
