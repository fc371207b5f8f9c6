"""Recovery benchmark: how long work stalls after PostgreSQL or Redis comes back.

    python -m bench.recovery                          # 300 cases, PostgreSQL restart
    python -m bench.recovery --outage redis
    python -m bench.recovery --cases 300 --outage postgres --down 5

It starts its own PostgreSQL and Redis, migrates, loads the demo, and starts 2 real
``celery worker`` processes (approval queue) and ``celery beat``, all with the default
settings (nothing shortened: the sweeper every 5 s, lease, retries as shipped). It
accepts ``--cases`` open-a-restaurant cases, waits until a third of their approval jobs
are done, then stops the server (PostgreSQL: a fast shutdown that cuts every session;
Redis: without persistence, so every queued message is lost), keeps it down ``--down``
seconds, starts it again on the same port, and measures:

* ``stall_seconds``: from the server being back to the first job a worker completes;
* ``drain_seconds``: from the server being back to the last job of the run done;
* that every job ran and is done, each case concluded at most once, one certificate
  per approval (``workload_counts``), and how many task retries the workers logged.

The ``documents`` queue (PDFs) has no worker here, as in bench/lifecycle.py. Not a
test: run it by hand and copy the figures into the README. The integration test
tests/integration/test_recovery.py runs it small.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.servers import (  # noqa: E402
    CeleryWorker,
    postgres_server_handle,
    redis_server_handle,
)

WORK = ["dispatch_case", "start_approval"]  # the approval queue's jobs


def _wait(predicate, *, timeout: float, poll: float = 0.05) -> float:
    started = time.monotonic()
    while True:
        try:
            if predicate():
                return time.monotonic()
        except Exception:  # the server is still coming back
            from django.db import connection

            connection.close()
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not reached within {timeout} s")
        time.sleep(poll)


def run(*, cases: int, outage: str, down: float, timeout: float = 600) -> dict:
    with postgres_server_handle() as postgres, redis_server_handle() as redis:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "onewindow.settings.test",
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
        }
        for name in ("JOB_LEASE_SECONDS", "JOB_REPUBLISH_SECONDS", "RECONCILE_GRACE_SECONDS"):
            env.pop(name, None)  # the defaults, as shipped
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        subprocess.run(
            [sys.executable, "manage.py", "load_demo", "--force"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        os.environ.update(env)
        from bench.workload import setup_django

        setup_django()
        from django.db import connection
        from django.utils import timezone

        from bench.workload import workload_accept, workload_counts, workload_prepare
        from cases.constants import JobState
        from cases.models import Job

        log_dir = Path(tempfile.mkdtemp(prefix="onewindow-recovery-"))
        workers = [
            CeleryWorker(f"recovery{n}", env, python=sys.executable, cwd=ROOT, log_dir=log_dir)
            for n in range(2)
        ]
        beat_log = open(log_dir / "beat.log", "w")  # noqa: SIM115 - closed below
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "onewindow", "beat", "--loglevel", "info",
             "--schedule", str(log_dir / "beat-schedule")],
            cwd=ROOT, env=env, stdout=beat_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        for worker in workers:
            worker.start()
        try:
            for worker in workers:
                worker.wait_ready()
            prepared = workload_prepare(cases=cases)
            first_job = Job.objects.order_by("-id").values_list("id", flat=True).first() or 0
            accepted = workload_accept(case_ids=prepared)
            work = Job.objects.filter(kind__in=WORK, id__gt=first_job)
            total = 4 * cases  # four approvals a case
            _wait(lambda: work.filter(state=JobState.DONE).count() >= total // 3, timeout=timeout)
            done_before = work.filter(state=JobState.DONE).count()
            connection.close()
            server = postgres if outage == "postgres" else redis
            went_down = time.monotonic()
            server.stop()
            time.sleep(down)
            server.start()
            back = time.monotonic()
            back_at = timezone.now()
            # Every approval job exists (acceptance wrote the first, each the next).
            _wait(lambda: work.filter(done_at__gt=back_at).exists(), timeout=timeout, poll=0.02)
            first_done = work.filter(done_at__gt=back_at).order_by("done_at").first().done_at
            _wait(
                lambda: work.count() == total and not work.exclude(state=JobState.DONE).exists(),
                timeout=timeout,
                poll=0.2,
            )
            drained = time.monotonic()
            last_done = work.order_by("-done_at").first().done_at
            counts = workload_counts(case_ids=accepted)
            jobs_done = work.filter(state=JobState.DONE).count()
        finally:
            for worker in workers:
                worker.stop()
            beat.terminate()
            beat.wait(timeout=30)
            beat_log.close()
        logs = "".join(path.read_text(errors="replace") for path in log_dir.glob("celery-*.log"))
    return {
        "outage": outage,
        "cases": cases,
        "seconds_down": round(back - went_down, 2),
        "jobs_done_before_the_outage": done_before,
        "stall_seconds": round((first_done - back_at).total_seconds(), 2),
        "drain_seconds": round((last_done - back_at).total_seconds(), 2),
        "drain_seconds_polled": round(drained - back, 2),
        "task_retries_logged": logs.count(" retry: Retry in "),
        "tasks_failed_logged": logs.count("raised unexpected"),
        "jobs": total,
        "jobs_done": jobs_done,
        "counts": counts,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "at": dt.datetime.now().isoformat(timespec="minutes"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--outage", choices=["postgres", "redis"], default="postgres")
    parser.add_argument("--down", type=float, default=5.0, help="seconds the server stays down")
    parser.add_argument("--timeout", type=float, default=600.0)
    arguments = parser.parse_args()
    result = run(
        cases=arguments.cases,
        outage=arguments.outage,
        down=arguments.down,
        timeout=arguments.timeout,
    )
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
