"""Verification benchmark: a car-quota round of N person applicants checked against the
five person registries by real Celery workers on PostgreSQL, then drawn.

    python -m bench.verification                          # 2,000,000 applicants, 2 workers
    python -m bench.verification --applicants 50000 --workers 2 --chunk-size 5000

It starts its own PostgreSQL and Redis, migrates, and creates the transport commission,
the bureaus with the eight registries of the demo rule set (lottery/demo.py), the
sharing agreements, the rule set and a closed round. Then, not timed, by COPY: N person
applicants (valid resident IDs), their applications (numbers and lottery codes as
``application_submit`` makes them) and their records in the five person registries, a
mix in which most pass and some fail each rule (``population_copy``).

It starts ``--workers`` real ``celery worker`` processes (prefork, ``--concurrency`` pool
processes each, 2 by default: PostgreSQL does about 70% of a chunk's work, so a pool
process mostly waits, and two per worker keep both cores busy — 11,478 against 9,484
applicants/s at 500,000) with the production settings, and times the whole verification: from
``round_verification_start`` until no application is unfinished and the pool is
published, verdicts and data-access log rows included. Then it times the draw
(``round_draw`` with the round's seed). It prints one JSON object: applicants/s, registry
reads/s, both wall times, the median seconds per chunk (from the workers' "succeeded in"
lines, and the process-seconds per chunk from the wall time), the log rows (= reads, no
duplicates), the peak memory (VmHWM) of every process and the database size.

PostgreSQL runs with the throw-away servers' settings (tools/servers.py: fsync, synchronous
commit and full-page writes off), sized like a real server (``POSTGRES_SETTINGS``);
``--durability on`` turns fsync, synchronous commit and full-page writes back on, as in
production. Not a test: run it by hand and copy the figures into the
README. tests/integration/test_verification_bench.py runs its functions small.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.processes import descendants, process_table  # noqa: E402
from tools.servers import CeleryWorker, postgres_server, redis_server  # noqa: E402

SEED_HEX = "be11c0de" * 8
ROUND_CODE = "2026-BENCH"
# A server sized like a real one, as in bench/tracking.py: the throw-away server's
# defaults (128 MB of shared buffers, random_page_cost 4 for spinning disks) make the
# planner read a registry's 2 million records through the registry_id index (a bitmap
# of every record, 100 ms a read at 300,000) instead of the (registry, subject) unique
# index (14 ms), and hash the whole applicant table for each chunk. 512 MB keeps a
# backend's resident memory, which counts the shared buffers it touched, under 1 GB.
POSTGRES_SETTINGS = ("shared_buffers=512MB", "effective_cache_size=8GB", "random_page_cost=1.1")
DURABILITY = {
    "off": (),  # the throw-away servers' own settings (tools/servers.py)
    "on": ("fsync=on", "synchronous_commit=on", "full_page_writes=on"),
}
# The bureaus that hold the registries, and the transport commission that reads them.
PROVIDERS = {
    "GA": "市公安局",
    "RS": "市人力资源和社会保障局",
    "SW": "市税务局",
    "GS": "市市场监督管理局（工商）",
    "ZJ": "市质量技术监督局",
}
REGISTRIES = {
    # code: (name, kind, provider)
    "POPULATION": ("人口基础信息库", "population", "GA"),
    "DRIVING_LICENCE": ("机动车驾驶人信息库", "vehicle", "GA"),
    "VEHICLE": ("机动车登记信息库", "vehicle", "GA"),
    "SOCIAL_INSURANCE": ("社会保险参保信息库", "social_insurance", "RS"),
    "INCOME_TAX": ("个人所得税纳税信息库", "tax", "SW"),
    "LEGAL_PERSON": ("法人单位基础信息库", "legal_person", "GS"),
    "ORG_CODE": ("组织机构代码信息库", "legal_person", "ZJ"),
    "TAX_REGISTRATION": ("税务登记信息库", "tax", "SW"),
}
REGIONS = ("110101", "110105", "110108", "110114", "130102", "120101", "370102", "510104")
BIRTH_DAYS = 18_000  # birth dates from 1950 over about 49 years; 1000 sequences each


def person_id(n: int) -> str:
    """The ``n``-th synthetic resident ID: unique for n below 18 million, valid check digit."""
    from departments.identifiers import make_resident_id

    return make_resident_id(
        region=REGIONS[n % len(REGIONS)],
        birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=n % BIRTH_DAYS),
        sequence=(n // BIRTH_DAYS) % 1000,
    )


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.dev")
    import django

    django.setup()


# -- the world: departments, registries, agreements, the rule set, a closed round ----------


def world_create(*, round_code: str = ROUND_CODE, quota: int = 10_000) -> Any:
    """The transport commission, the bureaus, the eight registries with agreements, the
    demo rule set, and a round whose applications closed an hour ago. Answers the round."""
    from django.utils import timezone

    from departments.models import Department, Registry, SharingAgreement
    from lottery import demo
    from lottery.models import RuleSet
    from lottery.services.rounds import round_create

    transport, _ = Department.objects.get_or_create(code="JT", defaults={"name": "市交通委员会"})
    providers = {
        code: Department.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in PROVIDERS.items()
    }
    for code, (name, kind, provider) in REGISTRIES.items():
        registry, _ = Registry.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "department": providers[provider]}
        )
        SharingAgreement.objects.get_or_create(
            consumer=transport,
            registry=registry,
            defaults={"purpose": "小客车指标摇号资格审核", "valid_from": dt.date(2024, 1, 1)},
        )
    rule_set, _ = RuleSet.objects.get_or_create(
        code=demo.RULE_SET_CODE,
        defaults={
            "name": demo.RULE_SET_NAME,
            "department": transport,
            "rules": demo.RULES,
            "weight": demo.WEIGHT,
        },
    )
    now = timezone.now()
    return round_create(
        code=round_code,
        name=f"{round_code}期小客车指标摇号（基准测试）",
        quota=quota,
        applications_open=now - dt.timedelta(days=14),
        applications_close=now - dt.timedelta(hours=1),
        seed_sha256=hashlib.sha256(bytes.fromhex(SEED_HEX)).hexdigest(),
        rule_set=rule_set,
    )


# -- the population, by COPY ----------------------------------------------------------------


def _person_records(rng: random.Random, close: dt.date) -> dict[str, dict[str, Any] | None]:
    """One person's records: most pass every rule, some fail each, some are missing."""
    draw = rng.random
    population = None
    if draw() < 0.99:
        population = {
            "status": "正常" if draw() < 0.99 else "注销",
            "hukou_city": "北京市" if draw() < 0.65 else rng.choice(("天津市", "河北省", "山东省")),
        }
    licence = None
    if draw() < 0.95:
        expired = draw() < 0.03
        days = -rng.randrange(1, 900) if expired else rng.randrange(1, 3650)
        licence = {
            "status": "正常" if draw() < 0.98 else "吊销",
            "valid_until": (close + dt.timedelta(days=days)).isoformat(),
        }
    vehicle = None
    if draw() < 0.12:  # a minority is in the vehicle registry; most of them own a car
        vehicle = {"passenger_cars": 1 if draw() < 0.7 else 0}
    insurance = {"consecutive_months": rng.randrange(0, 240)} if draw() < 0.9 else None
    tax = {"consecutive_months": rng.randrange(0, 240)} if draw() < 0.88 else None
    return {
        "POPULATION": population,
        "DRIVING_LICENCE": licence,
        "VEHICLE": vehicle,
        "SOCIAL_INSURANCE": insurance,
        "INCOME_TAX": tax,
    }


def _weight(rng: random.Random) -> int:
    # Beijing's stepped odds: one more ticket for every six rounds lost.
    value = rng.random()
    return 1 if value < 0.6 else 2 if value < 0.85 else 3 if value < 0.95 else rng.randrange(4, 9)


def population_copy(
    *, round_: Any, applicants: int, seed: int = 20260601, block: int = 20_000
) -> dict:
    """N person applicants, their applications and their person-registry records, by COPY
    (three streams, written in blocks so memory stays flat). Answers what was written."""
    from django.db import connection, transaction
    from django.utils import timezone

    from cases.models import Applicant
    from departments.models import Registry, RegistryRecord
    from lottery.models import Application
    from lottery.services.applications import application_no_for, lottery_code_for
    from lottery.services.verification import round_close_date

    close = round_close_date(round_)
    registry_ids = dict(Registry.objects.values_list("code", "id"))
    quote = connection.ops.quote_name
    applicant_table = quote(Applicant._meta.db_table)
    application_table = quote(Application._meta.db_table)
    record_table = quote(RegistryRecord._meta.db_table)
    now = timezone.now().isoformat()
    records_written = dict.fromkeys(registry_ids, 0)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {applicant_table}")
        first_applicant = cursor.fetchone()[0] + 1
    rng = random.Random(seed)
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.copy(
            f"COPY {applicant_table} (id, kind, id_type, id_number, name, phone, address, "
            "legal_representative, id_check_overridden, created_at, updated_at) FROM STDIN"
        ) as copy:
            for start in range(0, applicants, block):
                copy.write(
                    "".join(
                        f"{first_applicant + n}\tperson\tresident_id\t{person_id(n)}\t申请人{n}"
                        f"\t\t\t\tf\t{now}\t{now}\n"
                        for n in range(start, min(applicants, start + block))
                    )
                )
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{Applicant._meta.db_table}', 'id'), "
            f"(SELECT max(id) FROM {applicant_table}))"
        )
        with cursor.copy(
            f"COPY {application_table} (round_id, applicant_id, application_no, lottery_code, "
            "channel, state, weight, reasons, appeal_note, decision_reason, created_at) FROM STDIN"
        ) as copy:
            for start in range(0, applicants, block):
                copy.write(
                    "".join(
                        f"{round_.pk}\t{first_applicant + n}\t"
                        f"{application_no_for(round_code=round_.code, sequence=n + 1)}\t"
                        f"{lottery_code_for(round_code=round_.code, sequence=n + 1)}\t"
                        f"online\tSUBMITTED\t{_weight(rng)}\t[]\t\t\t{now}\n"
                        for n in range(start, min(applicants, start + block))
                    )
                )
        with cursor.copy(
            f"COPY {record_table} (registry_id, subject_id, data, updated_at) FROM STDIN"
        ) as copy:
            for start in range(0, applicants, block):
                lines = []
                for n in range(start, min(applicants, start + block)):
                    subject = person_id(n)
                    for code, data in _person_records(rng, close).items():
                        if data is not None:
                            records_written[code] += 1
                            text = json.dumps(data, ensure_ascii=False)
                            lines.append(f"{registry_ids[code]}\t{subject}\t{text}\t{now}\n")
                copy.write("".join(lines))
        # The counter application_submit draws from goes on after the copied applications.
        from cases.models import NumberSequence

        NumberSequence.objects.update_or_create(
            name=f"lottery:{round_.code}", defaults={"value": applicants}
        )
    with connection.cursor() as cursor:
        for table in (applicant_table, application_table, record_table):
            cursor.execute(f"ANALYZE {table}")
    return {"applicants": applicants, "records": records_written}


# -- the timed parts -------------------------------------------------------------------------


def verification_run(*, round_: Any, timeout: float, poll: float = 0.25) -> dict:
    """Start the verification and wait until no application is unfinished and the pool is
    published; answers the wall time and the number of chunks."""
    from lottery.constants import UNFINISHED_STATES
    from lottery.models import Application, Round
    from lottery.services.verification import round_verification_start

    started = time.perf_counter()
    start = round_verification_start(round_=round_)
    deadline = started + timeout
    unfinished = Application.objects.filter(round=round_, state__in=UNFINISHED_STATES)
    while True:
        if not unfinished.exists():
            fresh = Round.objects.get(pk=round_.pk)
            if fresh.pool_published_at is not None:
                break
        if time.perf_counter() > deadline:
            raise TimeoutError(f"verification not finished within {timeout} s")
        time.sleep(poll)
    return {
        "seconds": time.perf_counter() - started,
        "chunks": start.chunks,
        "applications": start.applications,
    }


def draw_run(*, round_: Any) -> dict:
    from lottery.models import Round
    from lottery.services.rounds import round_draw

    started = time.perf_counter()
    drawn = round_draw(round_=Round.objects.get(pk=round_.pk), seed_hex=SEED_HEX)
    return {
        "seconds": time.perf_counter() - started,
        "pool_entries": drawn.pool_entries,
        "pool_sha256": drawn.pool_sha256,
        "quota": drawn.quota,
    }


# -- what was written ------------------------------------------------------------------------


def verification_counts(*, round_: Any) -> dict:
    """The round's states, its reads and log rows, and the checks that each application
    was verified once and each read logged once."""
    from django.db import connection
    from django.db.models import Count, Sum

    from cases.constants import JobState
    from cases.models import Job
    from lottery.models import Application
    from lottery.services.verification import CHUNK_JOB, round_failures_by_rule, round_purpose
    from sharing.models import BatchOutcome, BatchRead, BatchReadSubject

    purpose = round_purpose(round_)
    states = dict(
        Application.objects.filter(round=round_)
        .values_list("state")
        .annotate(count=Count("id"))
        .order_by()
        .values_list("state", "count")
    )
    reads = BatchRead.objects.filter(purpose=purpose, outcome=BatchOutcome.OK)
    read_subjects = reads.aggregate(total=Sum("subjects"))["total"] or 0
    table = connection.ops.quote_name(BatchReadSubject._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(DISTINCT (registry_id, subject_id)) FROM {table} "
            "WHERE purpose_id = %s",
            [purpose.pk],
        )
        log_rows, distinct_rows = cursor.fetchone()
    jobs = Job.objects.filter(kind=CHUNK_JOB, key__startswith=f"lottery:{round_.pk}:")
    return {
        "states": states,
        "unverified": Application.objects.filter(round=round_, verified_at__isnull=True).count(),
        "failures_by_rule": round_failures_by_rule(round_=round_),
        "registry_reads": read_subjects,
        "batch_requests": reads.count(),
        "log_rows": log_rows,
        "log_rows_duplicated": log_rows - distinct_rows,
        "chunk_jobs": jobs.count(),
        "chunk_jobs_done": jobs.filter(state=JobState.DONE).count(),
        "chunk_jobs_run_more_than_once": jobs.filter(attempts__gt=1).count(),
    }


TASK_SECONDS = re.compile(r"Task cases\.run_job\[[^\]]+\] succeeded in ([0-9.]+)s")


def task_seconds(log_dir: Path) -> dict[str, list[float]]:
    """How long each task took, per worker, as the workers logged it ("succeeded in 1.23s")."""
    return {
        path.stem.removeprefix("celery-"): [
            float(value) for value in TASK_SECONDS.findall(path.read_text(errors="replace"))
        ]
        for path in sorted(log_dir.glob("celery-*.log"))
    }


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM), in MB; ``None`` once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def processes_peak_rss(*, workers: list[CeleryWorker], postmaster: int | None) -> dict[str, Any]:
    """Peak memory of this process, of every worker process and pool process, and of every
    PostgreSQL process (a backend's figure counts the shared buffers it touched)."""
    table = process_table()
    found: dict[str, Any] = {"bench": peak_rss_mb(os.getpid())}
    for worker in workers:
        if worker.process is None:
            continue
        root = worker.process.pid
        found[f"{worker.name} main"] = peak_rss_mb(root)
        for index, pid in enumerate(sorted(descendants(table, {root})), start=1):
            found[f"{worker.name} pool {index}"] = peak_rss_mb(pid)
    if postmaster is not None:
        backends = {}
        for pid in sorted(descendants(table, {postmaster}) | {postmaster}):
            process = table.get(pid)
            label = (process.command.strip() if process else str(pid))[:60] or str(pid)
            backends[f"{pid} {label}"] = peak_rss_mb(pid)
        found["postgres"] = backends
    return found


def cpu_seconds(roots: dict[str, set[int]]) -> dict[str, float]:
    """CPU seconds used so far by each process tree (PostgreSQL from its postmaster, the
    workers with their pool processes) and by this process: where a chunk's cost goes."""
    table = process_table()
    totals = {
        name: sum(table[pid].cpu_seconds for pid in (pids & set(table)) | descendants(table, pids))
        for name, pids in roots.items()
    }
    own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    totals["bench"] = (int(own[11]) + int(own[12])) / os.sysconf("SC_CLK_TCK")
    return totals


def _postmaster() -> int | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    process = process_table().get(backend)
    return process.parent if process else None


def database_size_mb() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return round(cursor.fetchone()[0] / 1024 / 1024, 1)


def workers_start(
    *, env: dict[str, str], count: int, concurrency: int, log_dir: Path
) -> list[CeleryWorker]:
    workers = [
        CeleryWorker(
            f"verify{n}",
            env,
            python=sys.executable,
            cwd=ROOT,
            concurrency=concurrency,
            log_dir=log_dir,
        )
        for n in range(count)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.wait_ready()
    return workers


def full_mode_env(
    *, database_url: str, redis_url: str, chunk_size: int, media_root: str
) -> dict[str, str]:
    """The environment of a production process on these servers (plain HTTP on loopback)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "onewindow.settings.prod",
        "SECRET_KEY": "benchmark-only-not-secret-" + "x" * 40,
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": media_root,
        "LOTTERY_CHUNK_SIZE": str(chunk_size),
        # One statement per chunk and registry however large the chunk.
        "REGISTRY_BATCH_SIZE": str(max(5000, chunk_size)),
    }


def run(
    *,
    applicants: int,
    workers: int,
    chunk_size: int,
    concurrency: int = 2,
    durability: str = "off",
    quota: int = 10_000,
    timeout: float = 3600,
) -> dict:
    with (
        postgres_server(*POSTGRES_SETTINGS, *DURABILITY[durability]) as database_url,
        redis_server() as redis_url,
    ):
        media_root = tempfile.mkdtemp(prefix="onewindow-bench-media-")
        env = full_mode_env(
            database_url=database_url,
            redis_url=redis_url,
            chunk_size=chunk_size,
            media_root=media_root,
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        os.environ.update(env)
        setup_django()
        round_ = world_create(quota=quota)
        generating = time.perf_counter()
        written = population_copy(round_=round_, applicants=applicants)
        generated = time.perf_counter() - generating
        size_before = database_size_mb()
        log_dir = Path(tempfile.mkdtemp(prefix="onewindow-bench-verify-"))
        pool = workers_start(env=env, count=workers, concurrency=concurrency, log_dir=log_dir)
        try:
            postmaster = _postmaster()
            roots = {
                "postgres": {postmaster} if postmaster else set(),
                "workers": {worker.process.pid for worker in pool if worker.process},
            }
            cpu_before = cpu_seconds(roots)
            verification = verification_run(round_=round_, timeout=timeout)
            cpu_after = cpu_seconds(roots)
            draw = draw_run(round_=round_)
            memory = processes_peak_rss(workers=pool, postmaster=postmaster)
        finally:
            for worker in pool:
                worker.stop()
        counts = verification_counts(round_=round_)
        size_after = database_size_mb()
    seconds = verification["seconds"]
    per_worker = task_seconds(log_dir)
    chunk_seconds = [seconds for found in per_worker.values() for seconds in found]
    processes = workers * concurrency
    return {
        "applicants": applicants,
        "verification_seconds": round(seconds, 1),
        "applicants_per_second": round(applicants / seconds),
        "registry_reads_per_second": round(counts["registry_reads"] / seconds),
        "draw_seconds": round(draw["seconds"], 1),
        "chunk_size": chunk_size,
        "chunks": verification["chunks"],
        "chunk_seconds_median": round(statistics.median(chunk_seconds), 3)
        if chunk_seconds
        else None,
        "chunk_seconds_max": round(max(chunk_seconds), 3) if chunk_seconds else None,
        # Tasks each worker ran (the chunks, and the pool's publication once).
        "tasks_per_worker": {name: len(found) for name, found in per_worker.items()},
        # Wall time × worker processes ÷ chunks: what one chunk costs one process, waits included.
        # CPU seconds per chunk over the timed verification, per process tree.
        "cpu_seconds_per_chunk": {
            name: round((cpu_after[name] - cpu_before[name]) / max(1, verification["chunks"]), 3)
            for name in cpu_after
        },
        "process_seconds_per_chunk": round(seconds * processes / max(1, verification["chunks"]), 3),
        "counts": counts,
        "pool_entries": draw["pool_entries"],
        "quota": draw["quota"],
        "records_written": written["records"],
        "generation_seconds_untimed": round(generated, 1),
        "peak_rss_mb": memory,
        "database_mb_before": size_before,
        "database_mb_after": size_after,
        "worker_processes": workers,
        "pool_processes_per_worker": concurrency,
        "postgres_durability": (
            "fsync, synchronous_commit and full_page_writes ON"
            if durability == "on"
            else "fsync, synchronous_commit and full_page_writes OFF (throw-away server)"
        ),
        "cores": os.cpu_count(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "at": dt.datetime.now().isoformat(timespec="minutes"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=2_000_000)
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes per worker")
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--durability", choices=sorted(DURABILITY), default="off")
    parser.add_argument("--quota", type=int, default=10_000, help="the round's quota")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--json", type=Path, help="also write the result to this file")
    arguments = parser.parse_args()
    result = run(
        applicants=arguments.applicants,
        workers=arguments.workers,
        chunk_size=arguments.chunk_size,
        concurrency=arguments.concurrency,
        durability=arguments.durability,
        quota=arguments.quota,
        timeout=arguments.timeout,
    )
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if arguments.json:
        arguments.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
