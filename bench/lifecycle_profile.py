"""Where a case's back-office CPU goes: the lifecycle of ``bench/lifecycle.py`` run
in one process, without Celery, so that statements and Python time per case can be
counted and profiled exactly.

    .venv/bin/python -m bench.lifecycle_profile --cases 100             # counts per case
    .venv/bin/python -m bench.lifecycle_profile --cases 100 --profile 25  # + top 25 functions

It starts a throw-away PostgreSQL, loads the demo, prepares open-a-restaurant cases,
then accepts (and so dispatches) each one and runs the outbox jobs it causes (approvals) in
this process, as a worker would, leaving out the PDF jobs (the ``documents``
queue). It prints the CPU milliseconds of this process per case and the SQL
statements per case by kind. The broker's own cost (about 3 ms a task) is not in it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.servers import postgres_server  # noqa: E402

KINDS = [
    ("savepoint", re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)", re.I)),
    ("audit chain head", re.compile(r"cases_auditchainhead", re.I)),
    ("outbox", re.compile(r"cases_job\b", re.I)),
    ("select", re.compile(r"^\s*SELECT", re.I)),
    ("insert", re.compile(r"^\s*INSERT", re.I)),
    ("update", re.compile(r"^\s*UPDATE", re.I)),
    ("delete", re.compile(r"^\s*DELETE", re.I)),
]


def kind_of(sql: str) -> str:
    for name, pattern in KINDS:
        if pattern.search(sql):
            return name
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions")
    parser.add_argument("--show-sql", action="store_true", help="print one case's statements")
    arguments = parser.parse_args()
    with postgres_server() as database_url:
        os.environ.update(
            {
                # As the workers run: production settings (DEBUG off), tasks in-process.
                "DJANGO_SETTINGS_MODULE": "onewindow.settings.prod",
                "SECRET_KEY": "benchmark-only-not-secret-" + "x" * 40,
                "SECURE_SSL_REDIRECT": "false",
                "DATABASE_URL": database_url,
                "REDIS_URL": "",
            }
        )
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        call_command("load_demo", "--force", stdout=io.StringIO())

        from bench.workload import workload_accept, workload_counts, workload_prepare
        from cases.services import jobs

        queue: list[tuple[int, str | None]] = []
        # Collect what would go to Celery, and run it below (not the documents queue).
        jobs.job_publisher_register(lambda job_id, job_queue: queue.append((job_id, job_queue)))

        def drain() -> None:
            while queue:
                job_id, job_queue = queue.pop(0)
                if job_queue != "documents":
                    jobs.job_run(job_id=job_id)

        warm = workload_prepare(cases=5)
        workload_accept(case_ids=warm)
        drain()
        prepared = workload_prepare(cases=arguments.cases)
        drain()

        statements: Counter = Counter()
        shown: list[str] = []

        def count(execute, sql, params, many, context):
            statements[kind_of(sql)] += 1
            if arguments.show_sql and len(shown) < 400 and current[0] == prepared[0]:
                shown.append(sql[:160])
            return execute(sql, params, many, context)

        current = [0]
        profiler = cProfile.Profile(time.process_time) if arguments.profile else None
        with connection.execute_wrapper(count):
            cpu = time.process_time()
            wall = time.perf_counter()
            for case_id in prepared:
                current[0] = case_id
                if profiler:
                    profiler.enable()
                workload_accept(case_ids=[case_id])
                drain()
                if profiler:
                    profiler.disable()
            cpu = time.process_time() - cpu
            wall = time.perf_counter() - wall
        counts = workload_counts(case_ids=prepared)
        total = sum(statements.values())
        print(
            json.dumps(
                {
                    "cases": arguments.cases,
                    "case_states": counts["case_states"],
                    "cpu_ms_per_case": round(cpu * 1000 / arguments.cases, 1),
                    "wall_ms_per_case": round(wall * 1000 / arguments.cases, 1),
                    "statements_per_case": round(total / arguments.cases, 1),
                    "by_kind": {
                        name: round(n / arguments.cases, 1) for name, n in statements.most_common()
                    },
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        if shown:
            print("\n".join(shown))
        if profiler:
            stream = io.StringIO()
            stats = pstats.Stats(profiler, stream=stream)
            stats.sort_stats("cumulative").print_stats(
                rf"{re.escape(str(ROOT))}/(cases|certificates|departments|sharing|bench)/",
                arguments.profile,
            )
            stats.sort_stats("tottime").print_stats(arguments.profile)
            print(stream.getvalue())


if __name__ == "__main__":
    main()
