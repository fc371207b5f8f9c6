"""Fan-out and fan-in through real Celery workers, a real Redis and PostgreSQL — and
nothing lost when a worker is SIGKILLed mid-run and the broker restarts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from bench.workload import workload_counts
from cases.constants import ApprovalState, CaseState
from cases.models import Case
from departments.services.demo import demo_load
from tools.servers import CeleryWorker, redis_server_handle

ROOT = Path(__file__).resolve().parents[2]
CASES = 200
ITEMS = 4  # the open-a-restaurant bundle: A001 → A002 → (A003, I001)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def full_mode(tmp_path):
    """A Redis server and the environment of a full-mode process on the test database."""
    with redis_server_handle() as redis:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "onewindow.settings.test",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": redis.url,
            # Short enough for a test: a dead worker's job is taken over after 5 s.
            "JOB_LEASE_SECONDS": "5",
            "JOB_REPUBLISH_SECONDS": "5",
            "RECONCILE_GRACE_SECONDS": "5",
        }
        yield redis, env


def _manage(env, *arguments) -> str:
    result = subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _concluded(case_ids) -> int:
    return Case.objects.filter(
        pk__in=case_ids, state__in=[CaseState.APPROVED, CaseState.DENIED]
    ).count()


def test_cases_survive_a_killed_worker_and_a_broker_restart(full_mode, tmp_path):
    redis, env = full_mode
    demo_load(force=True)
    workers = [
        CeleryWorker(name, env, python=sys.executable, cwd=ROOT, log_dir=tmp_path)
        for name in ("w1", "w2")
    ]
    for worker in workers:
        worker.start()
    replacement = CeleryWorker("w3", env, python=sys.executable, cwd=ROOT, log_dir=tmp_path)
    try:
        for worker in workers:
            worker.wait_ready()
        started = time.monotonic()
        driver = subprocess.Popen(
            [sys.executable, "-m", "bench.workload", "accept", "--cases", str(CASES)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Let the run get going, then break things in the middle of it.
        deadline = time.monotonic() + 120
        while Case.objects.filter(state=CaseState.APPROVED).count() < CASES // 10:
            assert time.monotonic() < deadline, "no case concluded within 120 s"
            time.sleep(0.05)
        print(f"chaos at {time.monotonic() - started:.1f} s")
        workers[0].kill()
        concluded_at_kill = Case.objects.filter(state=CaseState.APPROVED).count()
        redis.restart()
        replacement.start()
        stdout, stderr = driver.communicate(timeout=300)
        assert driver.returncode == 0, stderr[-3000:]
        case_ids = json.loads(stdout)
        assert len(case_ids) == CASES
        assert concluded_at_kill < CASES, "the chaos came after the run had finished"
        print(
            f"driver done at {time.monotonic() - started:.1f} s; {concluded_at_kill} concluded at the kill, {_concluded(case_ids)} now"
        )

        # The periodic reconciler (here run by hand, as beat would) brings back what was lost.
        deadline = time.monotonic() + 240
        while _concluded(case_ids) < CASES:
            assert time.monotonic() < deadline, workload_counts(case_ids=case_ids)
            _manage(env, "manage.py", "reconcile")
            time.sleep(2)
        # Let the last jobs be marked done before counting them.
        deadline = time.monotonic() + 60
        while workload_counts(case_ids=case_ids)["open_jobs"] and time.monotonic() < deadline:
            _manage(env, "manage.py", "reconcile")
            time.sleep(1)
        print(f"all done at {time.monotonic() - started:.1f} s")
    finally:
        for worker in (*workers, replacement):
            worker.stop()

    counts = workload_counts(case_ids=case_ids)
    assert counts["cases"] == CASES
    assert counts["case_states"] == {CaseState.APPROVED: CASES}
    assert counts["cases_concluded"] == CASES
    assert counts["cases_concluded_more_than_once"] == 0
    assert counts["approvals"] == CASES * ITEMS
    assert counts["approval_states"] == {ApprovalState.APPROVED: CASES * ITEMS}
    assert counts["approvals_decided_more_than_once"] == 0
    assert counts["certificates"] == CASES * ITEMS  # every item of the bundle produces one
    assert counts["approvals_with_two_certificates"] == 0
    assert counts["pdf_jobs"] == CASES * ITEMS  # one rendering job per certificate, never two
    assert counts["open_jobs"] == 0
    assert counts["invariants"] == dict.fromkeys(counts["invariants"], 0)
    # Workers here consume the approval queue only; rendering waits on "documents".


def _sessions() -> int:
    """Connections PostgreSQL has accepted so far into this database (PostgreSQL 14+)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def test_a_worker_keeps_its_database_connection_from_task_to_task(full_mode, tmp_path):
    """Celery's Django fix-up would open a new connection for every task; ours keeps it."""
    _redis, env = full_mode
    demo_load(force=True)
    worker = CeleryWorker("keep", env, python=sys.executable, cwd=ROOT, log_dir=tmp_path)
    worker.start()
    try:
        worker.wait_ready()
        before = _sessions()
        case_ids = json.loads(
            _manage(env, "-m", "bench.workload", "accept", "--cases", "20")
        )  # 40 approval messages for the one worker (2 a case)
        deadline = time.monotonic() + 120
        while _concluded(case_ids) < len(case_ids):
            assert time.monotonic() < deadline, workload_counts(case_ids=case_ids)
            time.sleep(0.2)
    finally:
        worker.stop()
    opened = _sessions() - before
    # The driver process and this test's polling open a few; 40 tasks must not add 40.
    assert opened < 10, opened
