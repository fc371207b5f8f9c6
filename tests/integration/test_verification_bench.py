"""A lottery round verified by real Celery workers on a real PostgreSQL and Redis:
bench/verification.py run small. Every application is verified once, every registry
read is logged once, and the draw takes the quota from the published pool."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPLICANTS = 2000
CHUNK = 250
QUOTA = 100
PERSON_REGISTRIES = 5

pytestmark = [pytest.mark.integration]


def test_a_round_is_verified_once_by_real_workers_and_every_read_is_logged_once(tmp_path):
    # The bench starts its own PostgreSQL, Redis and two worker processes, copies the
    # applicants and their records in, and times the verification and the draw.
    result_file = tmp_path / "result.json"
    completed = subprocess.run(
        [sys.executable, "-m", "bench.verification", "--applicants", str(APPLICANTS),
         "--workers", "2", "--chunk-size", str(CHUNK), "--quota", str(QUOTA),
         "--timeout", "240", "--json", str(result_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(result_file.read_text())
    counts = result["counts"]

    # Every application decided, once: eight chunk jobs, each run once.
    assert counts["unverified"] == 0
    assert sum(counts["states"].values()) == APPLICANTS
    assert not {"SUBMITTED", "PENDING_REGISTRY"} & set(counts["states"])
    assert (
        result["chunks"] == counts["chunk_jobs"] == counts["chunk_jobs_done"] == APPLICANTS // CHUNK
    )
    assert counts["chunk_jobs_run_more_than_once"] == 0
    # The mix has people failing rules, and the draw took the quota from the pool.
    assert counts["states"]["INELIGIBLE"] > 0
    assert counts["states"]["WON"] == QUOTA
    assert counts["states"]["WON"] + counts["states"]["NOT_WON"] == result["pool_entries"]
    # One read per person per registry, each logged once: log rows = reads, none twice.
    assert counts["registry_reads"] == counts["log_rows"] == APPLICANTS * PERSON_REGISTRIES
    assert counts["log_rows_duplicated"] == 0
    assert counts["batch_requests"] == result["chunks"] * PERSON_REGISTRIES
    # The figures the README quotes are there.
    assert result["applicants_per_second"] > 0 and result["chunk_seconds_median"] > 0
    assert all(value < 1024 for value in result["peak_rss_mb"].values() if isinstance(value, float))
