"""``manage.py backup /srv/backups``: the database and the media files, with a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and MEDIA_ROOT into a new directory under TARGET."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", type=Path)

    def handle(self, *args: Any, target: Path, **options: Any) -> None:
        try:
            result = backup_create(target=target)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(result.directory))
