"""``manage.py restore /srv/backups/onewindow-backup-…``: into an empty database and media
directory (create the database, do not migrate it, then restore)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into an empty database and MEDIA_ROOT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path)

    def handle(self, *args: Any, source: Path, **options: Any) -> None:
        try:
            backup_restore(source=source)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"restored {source}")
