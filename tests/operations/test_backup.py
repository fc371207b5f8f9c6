"""A backup restored into an empty database and media directory gives back the data and
the files; a damaged backup or a database that is not empty is refused."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from cases.models import Applicant
from tests.factories import ApplicantFactory, CaseFactory

ROOT = Path(__file__).resolve().parent.parent.parent
NAME = "𠮷野花子"


def _manage(*arguments, database_url, media_root):
    environment = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)},
        "DJANGO_SETTINGS_MODULE": "onewindow.settings.dev",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
        "REDIS_URL": "",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def empty_database(tmp_path):
    """The URL of a new, empty database of the kind the tests run on."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    database = connection.settings_dict
    yield (
        f"postgres://{database['USER']}:{database.get('PASSWORD') or ''}@{database['HOST']}"
        f":{database['PORT']}/{name}"
    )
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database(tmp_path, empty_database):
    applicant = ApplicantFactory(name=NAME)
    case = CaseFactory(applicant=applicant)
    scan = Path(settings.MEDIA_ROOT) / "materials" / case.tracking_no / "LEASE-0123.pdf"
    scan.parent.mkdir(parents=True, exist_ok=True)
    scan.write_bytes(b"%PDF-1.7 a lease\n")

    call_command("backup", str(tmp_path / "backups"))
    [backup] = (tmp_path / "backups").iterdir()
    assert {path.name for path in backup.iterdir()} >= {"manifest.json", "media.tar.gz"}

    media = tmp_path / "media-restored"
    restored = _manage("restore", str(backup), database_url=empty_database, media_root=media)
    assert restored.returncode == 0, restored.stderr
    # Every migration is there, and the data with its rare characters intact.
    check = _manage("migrate", "--check", database_url=empty_database, media_root=media)
    assert check.returncode == 0, check.stdout + check.stderr
    shell = _manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from cases.models import Case; c = Case.objects.get(); print(c.tracking_no, c.applicant.name)",
        database_url=empty_database,
        media_root=media,
    )
    assert shell.stdout.split() == [case.tracking_no, NAME]
    copy = media / "materials" / case.tracking_no / "LEASE-0123.pdf"
    assert copy.read_bytes() == b"%PDF-1.7 a lease\n"

    # Restoring again: the database is no longer empty.
    again = _manage("restore", str(backup), database_url=empty_database, media_root=tmp_path / "x")
    assert again.returncode != 0
    assert "the database is not empty" in again.stderr
    assert Applicant.objects.filter(name=NAME).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_and_nothing_is_restored(tmp_path, empty_database):
    ApplicantFactory(name=NAME)
    call_command("backup", str(tmp_path / "backups"))
    [backup] = (tmp_path / "backups").iterdir()
    archive = backup / "media.tar.gz"
    archive.write_bytes(archive.read_bytes()[:-10])
    media = tmp_path / "media-restored"
    result = _manage("restore", str(backup), database_url=empty_database, media_root=media)
    assert result.returncode != 0
    assert "media.tar.gz does not match its SHA-256" in result.stderr
    assert not media.exists()


def test_a_directory_without_a_manifest_is_named(tmp_path, db):
    with pytest.raises(CommandError, match="no readable manifest.json"):
        call_command("restore", str(tmp_path))
