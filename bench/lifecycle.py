"""Lifecycle benchmark: cases per second from acceptance to conclusion, in full mode.

    python -m bench.lifecycle                 # 600 cases, 2 worker processes
    python -m bench.lifecycle --cases 1000 --workers 2

It starts its own PostgreSQL (fsync and synchronous commit ON, as in production)
and Redis, migrates, loads the demo, starts ``--workers`` real ``celery worker``
processes (prefork, one pool process each), prepares the cases of the
open-a-restaurant bundle (created and submitted: not timed), then times from the
first acceptance to the last conclusion. Every approval is decided
automatically (秒批), so nothing waits for a person. It prints one JSON object:
cases/s, and the SQL statements and transactions per case counted by
PostgreSQL itself (pg_stat_statements, pg_stat_database) over the timed part —
intake's acceptance, dispatch, the four approvals with their registry checks,
certificates, unblocking and fan-in, and the outbox.

Not a test: run it by hand and copy the figures into the README.
"""

from __future__ import annotations

import argparse
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

from bench.processes import Process, descendants, process_table  # noqa: E402
from tools.servers import CeleryWorker, postgres_server, redis_server  # noqa: E402


def _tree_seconds(table: dict[int, Process], roots: set[int]) -> float:
    """CPU seconds of the processes ``roots`` and all their descendants."""
    members = (set(roots) & set(table)) | descendants(table, roots)
    return sum(table[pid].cpu_seconds for pid in members)


def _cpu_seconds(roots: dict[str, set[int]]) -> dict[str, float]:
    """CPU time used so far by this run's PostgreSQL, Celery workers and Redis (each
    process tree from its root), and by this process: where a case's cost goes. Other
    programs on the machine (another PostgreSQL, say) are not counted."""
    table = process_table()
    totals = {name: _tree_seconds(table, pids) for name, pids in roots.items()}
    own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    totals["driver"] = (int(own[11]) + int(own[12])) / os.sysconf("SC_CLK_TCK")
    return totals


def _roots(cursor, redis_url: str, workers: list) -> dict[str, set[int]]:
    """The root process of this run's PostgreSQL server (the parent of our backend),
    Redis server (by its port) and Celery workers."""
    cursor.execute("SELECT pg_backend_pid()")
    backend = cursor.fetchone()[0]
    table = process_table()
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    return {
        "postgres": {table[backend].parent},
        "celery": {worker.process.pid for worker in workers},
        "redis": {
            pid
            for pid, process in table.items()
            if "redis-server" in process.command and f":{port}" in process.command
        },
    }


# PostgreSQL's own foreign-key checks (``SELECT 1 FROM ONLY ... FOR KEY SHARE OF x``,
# run by its triggers) show up in pg_stat_statements too; they are not ours.
OURS = "query NOT LIKE '%FOR KEY SHARE OF x%'"


def _stats(cursor) -> tuple[int, int]:
    cursor.execute(f"SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE {OURS}")
    statements = int(cursor.fetchone()[0])
    cursor.execute(
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
    )
    return statements, int(cursor.fetchone()[0])


def _by_statement(cursor) -> dict[str, int]:
    cursor.execute(
        "SELECT query, sum(calls), sum(total_exec_time + total_plan_time) "
        "FROM pg_stat_statements GROUP BY query"
    )
    return {query: (int(calls), float(ms)) for query, calls, ms in cursor.fetchall()}


DURABILITY = {
    # Production: a commit returns when it is on disk.
    "on": ("fsync=on", "synchronous_commit=on"),
    # What the test servers use: commits may be lost on a power cut, never corrupted.
    "off": ("fsync=off", "synchronous_commit=off"),
}


def _unix_socket_url(database_url: str) -> str:
    """The same server through its Unix-domain socket (no TCP loopback round trips)."""
    import glob
    from urllib.parse import urlsplit

    parts = urlsplit(database_url)
    sockets = glob.glob(f"{tempfile.gettempdir()}/onewindow-pg-*/.s.PGSQL.{parts.port}")
    directory = os.path.dirname(sockets[0])
    return f"postgres://{parts.username}@:{parts.port}{parts.path}?host={directory}"


def run(
    *,
    cases: int,
    workers: int,
    warmup: int,
    durability: str = "on",
    threads: int = 0,
    unix_socket: bool = False,
    top: int = 0,
) -> dict:
    with (
        postgres_server(
            "shared_preload_libraries=pg_stat_statements",
            "pg_stat_statements.track=top",
            *DURABILITY[durability],
        ) as database_url,
        redis_server() as redis_url,
    ):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "onewindow.settings.prod",
            "SECRET_KEY": "benchmark-only-not-secret-" + "x" * 40,
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
            "DATABASE_URL": _unix_socket_url(database_url) if unix_socket else database_url,
            "REDIS_URL": redis_url,
        }
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

        from bench.workload import workload_accept, workload_counts, workload_prepare, workload_wait

        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        log_dir = Path(tempfile.mkdtemp(prefix="onewindow-bench-"))
        pool = [
            CeleryWorker(
                f"bench{n}",
                env,
                python=sys.executable,
                cwd=ROOT,
                concurrency=threads or 1,
                pool="threads" if threads else "prefork",
                log_dir=log_dir,
            )
            for n in range(workers)
        ]
        for worker in pool:
            worker.start()
        try:
            for worker in pool:
                worker.wait_ready()
            warm = workload_accept(case_ids=workload_prepare(cases=warmup))
            workload_wait(case_ids=warm, timeout=300)
            prepared = workload_prepare(cases=cases)
            connection.close()
            with connection.cursor() as cursor:
                before = _stats(cursor)
                statements_before = _by_statement(cursor)
            with connection.cursor() as cursor:
                roots = _roots(cursor, redis_url, pool)
            cpu_before = _cpu_seconds(roots)
            started = time.perf_counter()
            accepted = workload_accept(case_ids=prepared)
            workload_wait(case_ids=accepted, timeout=1800, poll=0.25)
            elapsed = time.perf_counter() - started
            cpu_after = _cpu_seconds(roots)
            with connection.cursor() as cursor:
                after = _stats(cursor)
                statements_after = _by_statement(cursor)
            counts = workload_counts(case_ids=accepted)
        finally:
            for worker in pool:
                worker.stop()
    statements = after[0] - before[0]
    per_statement = sorted(
        (
            (
                calls - statements_before.get(query, (0, 0.0))[0],
                ms - statements_before.get(query, (0, 0.0))[1],
                query,
            )
            for query, (calls, ms) in statements_after.items()
        ),
        reverse=True,
    )
    transactions = after[1] - before[1]
    return {
        "cases": cases,
        "seconds": round(elapsed, 2),
        "cases_per_second": round(cases / elapsed, 1),
        "sql_statements_per_case": round(statements / cases, 1),
        "transactions_per_case": round(transactions / cases, 1),
        "approved": counts["case_states"],
        "cpu_ms_per_case": {
            name: round((cpu_after[name] - cpu_before[name]) * 1000 / cases, 1)
            for name in cpu_after
        },
        "worker_processes": workers,
        "threads_per_worker": threads or None,
        "durable_commits": durability,
        "database_connection": "unix socket" if unix_socket else "tcp loopback",
        # [calls per case, milliseconds per case in PostgreSQL (planning + execution,
        # lock waits included), the statement]; PostgreSQL's own foreign-key checks too.
        "top_statements_per_case": [
            [round(calls / cases, 1), round(ms / cases, 2), " ".join(query.split())[:140]]
            for calls, ms, query in per_statement[:top]
            if calls > 0
        ],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--durability", choices=sorted(DURABILITY), default="on")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="run each worker process with a pool of this many threads (default: prefork, 1)",
    )
    parser.add_argument(
        "--unix-socket",
        action="store_true",
        help="connect to PostgreSQL through its Unix-domain socket instead of TCP",
    )
    parser.add_argument(
        "--top", type=int, default=0, help="also list the N most frequent statements per case"
    )
    arguments = parser.parse_args()
    result = run(
        cases=arguments.cases,
        workers=arguments.workers,
        warmup=arguments.warmup,
        durability=arguments.durability,
        threads=arguments.threads,
        unix_socket=arguments.unix_socket,
        top=arguments.top,
    )
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
