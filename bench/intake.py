#!/usr/bin/env python3
"""Benchmark: the intake API with reuse resolution, over 100,000 earlier cases.

    .venv/bin/python bench/intake.py                    # embedded SQLite (a temporary file)
    .venv/bin/python bench/intake.py --postgres         # a throw-away PostgreSQL server
    .venv/bin/python bench/intake.py --cases 20000      # smaller

Not a timed test: it prints figures for the README. The demo catalogue is
loaded, then ``--cases`` earlier cases are written with bulk inserts: each for
one of the demo's companies (so every company has about ``cases / 200`` earlier
cases), with a valid certificate of the type its item produces (the library
then holds as many certificates as cases) and uploaded materials that later
intakes may reuse. Then ``POST /api/v1/cases/`` for the open-a-restaurant bundle
(four items, fourteen requirements resolved through the library, the
registries, the earlier materials and the items of the case) is sent as a
logged-in clerk through Django's test client: ``--runs`` times one after the
other (p50 / p95 / max of the whole request), then by ``--threads`` clients at
once for ``--seconds`` (throughput and p95 under load).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 5000


def fill(cases: int) -> None:
    import datetime as dt

    from django.utils import timezone

    from cases.constants import (
        ApplicantKind,
        CaseState,
        Channel,
        HolderKind,
        IdType,
        MaterialStatus,
    )
    from cases.models import Applicant, Case, CaseMaterial
    from certificates.models import Certificate
    from departments.models import MaterialType, RegistryRecord, ServiceItem

    companies = list(
        RegistryRecord.objects.filter(registry__code="LEGAL_PERSON").values_list(
            "subject_id", "data"
        )
    )
    applicants = {
        applicant.id_number: applicant
        for applicant in Applicant.objects.bulk_create(
            [
                Applicant(
                    kind=ApplicantKind.ORGANISATION,
                    id_type=IdType.USCC,
                    id_number=subject_id,
                    name=data.get("name", ""),
                )
                for subject_id, data in companies
            ],
            ignore_conflicts=True,
        )
    }
    applicants = {a.id_number: a for a in Applicant.objects.filter(id_number__in=applicants)}
    holders = list(applicants.values())
    producing = list(
        ServiceItem.objects.filter(produces__isnull=False).select_related("produces", "department")
    )
    reusable = list(MaterialType.objects.filter(reuse_validity_days__isnull=False))
    now = timezone.now()
    today = timezone.localdate()
    written = 0
    while written < cases:
        size = min(BATCH, cases - written)
        batch = []
        for offset in range(size):
            number = written + offset
            batch.append(
                Case(
                    tracking_no=f"B{number:011d}",
                    applicant=holders[number % len(holders)],
                    channel=Channel.WINDOW,
                    state=CaseState.CLOSED,
                    accepted_at=now - dt.timedelta(days=number % 300 + 1),
                    closed_at=now - dt.timedelta(days=number % 300),
                )
            )
        created = Case.objects.bulk_create(batch)
        if created[0].pk is None:  # backends that do not return ids
            created = list(
                Case.objects.filter(tracking_no__in=[case.tracking_no for case in batch]).order_by(
                    "tracking_no"
                )
            )
        certificates = []
        materials = []
        for case in created:
            number = int(case.tracking_no[1:])
            item = producing[number % len(producing)]
            certificates.append(
                Certificate(
                    number=f"BENCH-{number:09d}",
                    certificate_type=item.produces,
                    holder_id=case.applicant_id,
                    holder_kind=HolderKind.ORGANISATION,
                    issuing_department=item.department,
                    case=case,
                    valid_from=today - dt.timedelta(days=number % 300 + 1),
                    valid_until=None if number % 3 else today + dt.timedelta(days=365),
                )
            )
            material_type = reusable[number % len(reusable)]
            materials.append(
                CaseMaterial(
                    case=case,
                    material_type=material_type,
                    status=MaterialStatus.UPLOADED,
                    sha256=f"{number:064x}",
                    size=1024,
                    content_type="application/pdf",
                )
            )
        Certificate.objects.bulk_create(certificates)
        CaseMaterial.objects.bulk_create(materials)
        written += size
        print(f"  {written:>7} earlier cases written", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def one_intake(client, company_ids: list[str], index: int) -> tuple[float, int]:
    body = {
        "applicant": {"id_type": "uscc", "id_number": company_ids[index % len(company_ids)]},
        "bundle": "OPEN_RESTAURANT",
        "channel": "window",
    }
    started = time.perf_counter()
    response = client.post("/api/v1/cases/", body, content_type="application/json")
    elapsed = time.perf_counter() - started
    return elapsed, response.status_code


def measure(runs: int, threads: int, seconds: float) -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.test import Client

    from departments.models import RegistryRecord

    clerk = get_user_model().objects.get(username="clerk")
    company_ids = list(
        RegistryRecord.objects.filter(registry__code="LEGAL_PERSON").values_list(
            "subject_id", flat=True
        )
    )
    client = Client()
    client.force_login(clerk)
    one_intake(client, company_ids, 0)  # warm-up
    timings = []
    for index in range(runs):
        elapsed, status = one_intake(client, company_ids, index + 1)
        assert status == 201, status
        timings.append(elapsed)
    results = {
        "p50_ms": statistics.median(timings) * 1000,
        "p95_ms": percentile(timings, 0.95) * 1000,
        "max_ms": max(timings) * 1000,
    }
    concurrent: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(number: int) -> None:
        own = Client()
        own.force_login(clerk)
        index = number * 100_000
        try:
            while time.perf_counter() < deadline:
                elapsed, status = one_intake(own, company_ids, index)
                index += 1
                with lock:
                    if status == 201:
                        concurrent.append(elapsed)
                    else:
                        failures[0] += 1
        finally:
            connections.close_all()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - started
    results.update(
        {
            "threads": threads,
            "throughput_per_s": len(concurrent) / wall,
            "concurrent_p95_ms": percentile(concurrent, 0.95) * 1000 if concurrent else 0.0,
            "failures": failures[0],
        }
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--postgres", action="store_true", help="start a throw-away PostgreSQL")
    arguments = parser.parse_args()

    with contextlib.ExitStack() as stack:
        if arguments.postgres:
            from tools.servers import postgres_server

            os.environ["DATABASE_URL"] = stack.enter_context(postgres_server())
        else:
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="onewindow-bench-"))
            os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.dev")
        os.environ["DEBUG"] = "false"  # no query log: it would grow without end
        os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from departments.services.demo import demo_load

        call_command("migrate", verbosity=0)
        demo_load(force=True)
        print(f"filling {arguments.cases} earlier cases on {connection.vendor}", flush=True)
        started = time.perf_counter()
        fill(arguments.cases)
        print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)
        results = measure(arguments.runs, arguments.threads, arguments.seconds)
        print(
            f"\n{connection.vendor} · {platform.python_version()} · {os.cpu_count()} CPUs · "
            f"{arguments.cases} earlier cases and certificates"
        )
        print(
            f"  sequential ({arguments.runs} runs): p50 {results['p50_ms']:.1f} ms, "
            f"p95 {results['p95_ms']:.1f} ms, max {results['max_ms']:.1f} ms"
        )
        print(
            f"  {results['threads']} clients for {arguments.seconds:.0f} s: "
            f"{results['throughput_per_s']:.1f} intakes/s, p95 {results['concurrent_p95_ms']:.1f} ms, "
            f"{results['failures']} failed"
        )


if __name__ == "__main__":
    main()
