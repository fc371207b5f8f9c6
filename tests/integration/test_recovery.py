"""Recovery from a database outage with real parts: a real PostgreSQL restarted under
real Celery workers, a real Redis and beat, with the default settings. The tasks that
meet the outage are retried (with backoff) instead of dropped, and every case finishes
exactly once without anyone running the reconciler."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = 40

pytestmark = [pytest.mark.integration]


def test_tasks_are_retried_across_a_real_postgresql_restart_and_nothing_is_dropped():
    # bench/recovery.py starts its own PostgreSQL (the one it restarts), Redis, two
    # workers and beat, and stops PostgreSQL for 5 s once a third of the work is done.
    completed = subprocess.run(
        [sys.executable, "-m", "bench.recovery", "--cases", str(CASES), "--outage", "postgres",
         "--down", "5", "--timeout", "240"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout)
    counts = result["counts"]
    # The outage came in the middle of the run...
    assert 0 < result["jobs_done_before_the_outage"] < result["jobs"]
    # ...the workers met it and retried (Celery's retry, logged "Retry in ..."), and no
    # task failed for it.
    assert result["task_retries_logged"] > 0
    assert result["tasks_failed_logged"] == 0
    # Every job was done, every case concluded once, nothing twice.
    assert result["jobs_done"] == result["jobs"] == CASES * 4
    assert counts["case_states"] == {"APPROVED": CASES}
    assert counts["cases_concluded"] == CASES
    assert counts["cases_concluded_more_than_once"] == 0
    assert counts["approvals_decided_more_than_once"] == 0
    assert counts["certificates"] == CASES * 4
    assert counts["approvals_with_two_certificates"] == 0
    assert counts["open_jobs"] == 0
    assert counts["invariants"] == dict.fromkeys(counts["invariants"], 0)
    # Work resumed within seconds of the server being back (default settings: the
    # retries' backoff is at most 8 s).
    assert result["stall_seconds"] < 10, result
