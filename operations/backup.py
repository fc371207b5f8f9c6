"""A backup is a directory: the database (``pg_dump`` custom format, or SQLite's online
backup), the uploaded and issued files (``media.tar.gz``), and ``manifest.json`` with each
file's SHA-256, so a restore refuses a damaged or incomplete copy.

The seals' signing keys (``SEALS_DIR``) are not in it: they are secrets with their own
custody (back them up apart, offline). A restore goes into an **empty** database and an
empty media directory: it never merges into or overwrites a live system.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar.gz"
FORMAT_VERSION = 1


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupResult:
    directory: Path
    files: dict[str, str]  # name -> SHA-256


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _postgres_environment(database: dict[str, Any]) -> dict[str, str]:
    """libpq's own variables, so no password ever appears on a command line."""
    environment = {**os.environ}
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if database.get(key):
            environment[variable] = str(database[key])
    return environment


def _tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore`` from ``PG_BIN_DIR`` if set, else from the PATH."""
    directory = os.environ.get("PG_BIN_DIR") or getattr(settings, "PG_BIN_DIR", "")
    path = Path(directory) / name if directory else shutil.which(name)
    if not path or not Path(path).exists():
        raise BackupError(f"{name} not found: install the PostgreSQL client or set PG_BIN_DIR")
    return str(path)


def backup_create(*, target: Path, alias: str = DEFAULT_DB_ALIAS) -> BackupResult:
    """Write a new backup directory under ``target``; returns it with its files' hashes."""
    connection = connections[alias]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    directory = Path(target) / f"onewindow-backup-{stamp}"
    directory.mkdir(parents=True, exist_ok=False)
    if connection.vendor == "postgresql":
        database_file = directory / "database.dump"
        completed = subprocess.run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(database_file)],
            env=_postgres_environment(connection.settings_dict),
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            raise BackupError(f"pg_dump failed: {completed.stderr.strip()}")
    elif connection.vendor == "sqlite":
        database_file = directory / "database.sqlite3"
        connection.ensure_connection()
        destination = sqlite3.connect(database_file)
        try:
            connection.connection.backup(destination)  # SQLite's online backup: consistent
        finally:
            destination.close()
    else:
        raise BackupError(f"no backup for the {connection.vendor} database")
    media_file = directory / MEDIA_ARCHIVE
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(media_file, "w:gz") as archive:
        if media_root.exists():
            archive.add(media_root, arcname="media")
    files = {path.name: _sha256(path) for path in (database_file, media_file)}
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "database_vendor": connection.vendor,
        "files": files,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return BackupResult(directory=directory, files=files)


def _manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{directory}: no readable {MANIFEST} ({error})") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{directory}: unknown backup format {manifest.get('format')!r}")
    for name, expected in manifest.get("files", {}).items():
        path = directory / name
        if not path.exists():
            raise BackupError(f"{directory}: {name} is missing")
        if _sha256(path) != expected:
            raise BackupError(f"{directory}: {name} does not match its SHA-256 (damaged copy)")
    return manifest


def _database_is_empty(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        return not connections[alias].introspection.table_names(cursor)


def backup_restore(*, source: Path, alias: str = DEFAULT_DB_ALIAS) -> None:
    """Restore ``source`` into the configured database and media directory, both empty."""
    source = Path(source)
    manifest = _manifest(source)
    connection = connections[alias]
    if manifest["database_vendor"] != connection.vendor:
        raise BackupError(
            f"the backup is of a {manifest['database_vendor']} database, "
            f"the configured one is {connection.vendor}"
        )
    if not _database_is_empty(alias):
        raise BackupError("the database is not empty: restore only into a new, empty database")
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"MEDIA_ROOT {media_root} is not empty")
    if connection.vendor == "postgresql":
        connection.close()
        completed = subprocess.run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                connection.settings_dict["NAME"],
                str(source / "database.dump"),
            ],
            env=_postgres_environment(connection.settings_dict),
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            raise BackupError(f"pg_restore failed: {completed.stderr.strip()}")
    else:
        connection.ensure_connection()
        origin = sqlite3.connect(source / "database.sqlite3")
        try:
            origin.backup(connection.connection)
        finally:
            origin.close()
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA_ARCHIVE, "r:gz") as archive:
        members = [member for member in archive.getmembers() if member.name.startswith("media")]
        for member in members:
            member.name = member.name.removeprefix("media").lstrip("/")
        archive.extractall(media_root, members=[m for m in members if m.name], filter="data")
