"""A round's verification through real Celery workers on PostgreSQL and Redis (issue 16.4):
a worker SIGKILLed mid-run, the run started again, and every application ends verified
once, with one log row per person per registry — none lost, none doubled."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from cases.constants import ApplicantKind, IdType
from cases.models import Applicant
from departments.models import RegistryRecord
from lottery import demo
from lottery.constants import UNFINISHED_STATES, ApplicationState, Channel
from lottery.models import Application
from lottery.services.applications import application_no_for, lottery_code_for
from sharing.models import BatchReadSubject
from tests.factories import resident_id
from tools.servers import CeleryWorker, redis_server_handle

ROOT = Path(__file__).resolve().parents[2]
APPLICANTS = 12_000
CHUNK = 150  # 80 chunks: the run is still going when a worker dies

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def expected_state(n: int) -> str:
    return ApplicationState.INELIGIBLE if n % 10 in (0, 1) else ApplicationState.ELIGIBLE


def population(round_) -> None:
    """``APPLICANTS`` applications and their records, in bulk: person n has a car when
    n % 10 == 0 and no driving licence when n % 10 == 1."""
    registries = _registries()
    applicants = Applicant.objects.bulk_create(
        Applicant(
            kind=ApplicantKind.PERSON,
            id_type=IdType.RESIDENT_ID,
            id_number=resident_id(n),
            name=f"申请人{n}",
        )
        for n in range(APPLICANTS)
    )
    Application.objects.bulk_create(
        Application(
            round=round_,
            applicant=applicant,
            application_no=application_no_for(round_code=round_.code, sequence=n + 1),
            lottery_code=lottery_code_for(round_code=round_.code, sequence=n + 1),
            channel=Channel.ONLINE,
        )
        for n, applicant in enumerate(applicants)
    )
    records = []
    for n in range(APPLICANTS):
        data = demo.eligible_person_records()
        if n % 10 == 0:
            data["VEHICLE"] = {"passenger_cars": 1}
        if n % 10 == 1:
            data["DRIVING_LICENCE"] = None
        records += [
            RegistryRecord(registry=registries[code], subject_id=resident_id(n), data=value)
            for code, value in data.items()
            if value is not None
        ]
    RegistryRecord.objects.bulk_create(records, batch_size=5000)


def _registries():
    from departments.models import Registry

    return {registry.code: registry for registry in Registry.objects.all()}


def _verify(env) -> None:
    """Start (or resume) the run from a full-mode process: its chunks go to the workers."""
    _finished(_verify_start(env))


def _verify_start(env) -> subprocess.Popen:
    """The same, not waited for: the workers may be well into the run before the
    starting process has even exited (on a loaded machine, all of it)."""
    script = (
        "import django; django.setup();"
        "from lottery.models import Round;"
        "from lottery.services.verification import round_verification_start;"
        "print(round_verification_start(round_=Round.objects.get(code='2026-6')))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(process: subprocess.Popen) -> None:
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-3000:]


def unfinished() -> int:
    return Application.objects.filter(state__in=UNFINISHED_STATES).count()


def test_a_worker_killed_mid_run_and_the_run_started_again_verifies_everyone_once(
    lottery_world, open_round, closed, tmp_path
):
    round_ = open_round(code="2026-6", quota=100)
    population(round_)
    closed(round_)
    with redis_server_handle() as redis:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "onewindow.settings.test",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": redis.url,
            "LOTTERY_CHUNK_SIZE": str(CHUNK),
            "JOB_LEASE_SECONDS": "5",
        }
        workers = [
            CeleryWorker(name, env, python=sys.executable, cwd=ROOT, log_dir=tmp_path)
            for name in ("v1", "v2")
        ]
        replacement = CeleryWorker("v3", env, python=sys.executable, cwd=ROOT, log_dir=tmp_path)
        try:
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.wait_ready()
            starting = _verify_start(env)
            deadline = time.monotonic() + 120
            while unfinished() > APPLICANTS * 3 // 4:
                assert time.monotonic() < deadline, "the run did not get going within 120 s"
                time.sleep(0.02)
            workers[0].kill()
            left_at_kill = unfinished()
            assert left_at_kill > 0, "the kill came after the run had finished"
            _finished(starting)
            replacement.start()
            replacement.wait_ready()
            # The command run again: a new run of chunks over what is still unfinished.
            _verify(env)
            deadline = time.monotonic() + 240
            while unfinished():
                assert time.monotonic() < deadline, f"{unfinished()} still unfinished"
                time.sleep(0.2)
        finally:
            for worker in (*workers, replacement):
                worker.stop()

    states = dict(Application.objects.values_list("applicant__id_number", "state").iterator())
    wrong = [n for n in range(APPLICANTS) if states[resident_id(n)] != expected_state(n)]
    assert wrong == []
    # One log row per person per registry: five registries each, none twice (the unique
    # constraint would refuse a second; the count shows none is missing either).
    assert BatchReadSubject.objects.count() == APPLICANTS * 5
    assert (
        BatchReadSubject.objects.values("subject_id", "registry").distinct().count()
        == APPLICANTS * 5
    )
    assert not Application.objects.filter(verified_at__isnull=True).exists()
    assert (
        Application.objects.filter(verified_at__lt=timezone.now() - dt.timedelta(hours=1)).count()
        == 0
    )
    assert left_at_kill < APPLICANTS
