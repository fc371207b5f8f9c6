"""Public tracking under load: p50/p95/p99 of ``GET /api/v1/track/<no>/?id_suffix=...``
with 1,000,000 cases in PostgreSQL and 50 concurrent clients.

    .venv/bin/python -m bench.tracking                     # 1,000,000 cases, 50 clients, 30 s
    .venv/bin/python -m bench.tracking --cases 100000 --clients 50 --seconds 20

It starts its own PostgreSQL and Redis (full mode: the per-client failure counters
live in Redis), fills the cases with ``bench/dashboard.py``'s database-side fill
(tracking numbers rewritten to the real ``YYMMDD`` + 8 symbol format), serves the
site with gunicorn (``--workers``, threads per worker ``--threads``), and runs the
clients as threads of this process, each with its own keep-alive connection, asking
for random existing cases with the right ID suffix for ``--seconds``. Latency is
measured at the client, so it includes the client's own queueing on this machine.
Not a test: copy the figures into the README.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.servers import _wait_for_port, free_port, postgres_server, redis_server  # noqa: E402


def prepare(cases: int) -> list[tuple[str, str]]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.dashboard import fill
    from cases.models import Case
    from departments.services.catalogue import catalogue_import

    call_command("migrate", verbosity=0)
    if not Case.objects.exists():
        catalogue_import(path=ROOT / "departments" / "demo" / "catalogue.yaml")
        started = time.perf_counter()
        fill(cases)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_case SET tracking_no = "
                "to_char(created_at, 'YYMMDD') || upper(lpad(to_hex(id), 8, '0'))"
            )
            cursor.execute("VACUUM ANALYZE cases_case")
        print(f"filled {cases:,} cases in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.tracking_no, right(a.id_number, 4) FROM cases_case c "
            "JOIN cases_applicant a ON a.id = c.applicant_id "
            "ORDER BY random() LIMIT 20000"
        )
        return [tuple(row) for row in cursor.fetchall()]


def load(port: int, pairs, *, clients: int, seconds: float) -> tuple[list[float], Counter]:
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, codes = [], Counter()
        while time.monotonic() < deadline:
            number, suffix = rng.choice(pairs)
            started = time.perf_counter()
            connection.request("GET", f"/api/v1/track/{number}/?id_suffix={suffix}")
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            codes[response.status] += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    arguments = parser.parse_args()
    with postgres_server() as database_url, redis_server() as redis_url:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "onewindow.settings.prod",
            "SECRET_KEY": "benchmark-only-not-secret-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
            "PUBLIC_BASE_URL": "http://127.0.0.1",
        }
        os.environ.update(env)
        pairs = prepare(arguments.cases)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "onewindow.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(arguments.workers), "--threads", str(arguments.threads),
             "--worker-class", "gthread", "--log-level", "warning"],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        try:
            _wait_for_port(port)
            load(port, pairs, clients=arguments.clients, seconds=3)  # warm-up
            latencies, statuses = load(
                port, pairs, clients=arguments.clients, seconds=arguments.seconds
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies.sort()

    def percentile(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1)

    print(
        json.dumps(
            {
                "cases": arguments.cases,
                "clients": arguments.clients,
                "requests": len(latencies),
                "requests_per_second": round(len(latencies) / arguments.seconds, 1),
                "p50_ms": percentile(0.50),
                "p95_ms": percentile(0.95),
                "p99_ms": percentile(0.99),
                "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
                "statuses": dict(statuses),
                "server": f"gunicorn gthread {arguments.workers} workers x {arguments.threads} threads",
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
