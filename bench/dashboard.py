#!/usr/bin/env python3
"""Benchmark: the supervision dashboard's main page with 1,000,000 cases in PostgreSQL.

    .venv/bin/python bench/dashboard.py                  # starts a throw-away PostgreSQL
    .venv/bin/python bench/dashboard.py --cases 200000   # smaller
    .venv/bin/python bench/dashboard.py --database-url postgres://...   # an existing, empty database

The data is written by the database itself (INSERT ... SELECT over
generate_series), so filling a million cases takes about a minute instead of
hours through the ORM: per case one item, one approval when dispatched, two
material requirements, 0-2 visits when closed, a rating for one closed case in
ten; one case in five asks for a second item; cases spread over the demo network's
eight centres; states, channels, dates and durations spread over the last 365 days. Then
the dashboard rollups are rebuilt (what the periodic task does every five
minutes; its time is printed too), and the page ``/supervision/`` is requested
as a logged-in supervisor of the city, unfiltered and with every filter (dates and
channel, item, department, a county, a town, a village, combinations), first once
to warm up, then ``--runs`` times; the figures printed are wall-clock times of
the whole request (view, queries, template) through Django's test client.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fill(cases: int) -> None:
    from django.db import connection

    from centres.models import Centre
    from departments.models import MaterialType, ServiceItem

    items = list(ServiceItem.objects.order_by("id").values_list("id", "department_id"))
    centre_ids = list(Centre.objects.order_by("path").values_list("id", flat=True))
    centre_array = "ARRAY[" + ",".join(str(pk) for pk in centre_ids) + "]::bigint[]"
    materials = list(MaterialType.objects.order_by("id").values_list("id", flat=True))
    from django.contrib.auth import get_user_model

    agent, _ = get_user_model().objects.get_or_create(username="bench_agent")
    applicants = max(cases // 10, 1)
    item_ids = "ARRAY[" + ",".join(str(item_id) for item_id, _ in items) + "]::bigint[]"
    department_ids = "ARRAY[" + ",".join(str(dept) for _, dept in items) + "]::bigint[]"
    material_ids = "ARRAY[" + ",".join(str(m) for m in materials) + "]::bigint[]"
    n_items, n_materials = len(items), len(materials)
    steps = [
        (
            "applicants",
            f"""
            INSERT INTO cases_applicant (kind, id_type, id_number, name, phone, address,
                legal_representative, id_check_overridden, created_at, updated_at)
            SELECT 'person', 'resident_id', lpad(g::text, 18, '0'), '申请人' || g, '', '', '',
                false, now(), now()
            FROM generate_series(1, {applicants}) AS g
            """,
        ),
        (
            "cases",
            f"""
            INSERT INTO cases_case (id, tracking_no, channel, state, due_date, submitted_at,
                accepted_at, concluded_at, closed_at, refusal_reason, created_at, updated_at,
                applicant_id, idempotency_key, created_by_id, form_data, registry_prefill,
                centre_id)
            SELECT g, 'B' || lpad(g::text, 12, '0'),
                (ARRAY['window','online','agent'])[1 + g % 3],
                s.state,
                CASE WHEN s.accepted THEN (c.t + interval '1 hour' + interval '14 days')::date END,
                c.t,
                CASE WHEN s.accepted THEN c.t + interval '1 hour' END,
                CASE WHEN s.concluded THEN c.t + interval '1 hour' + (g % 12) * interval '1 day' END,
                CASE WHEN s.state = 'CLOSED' THEN c.t + (g % 12 + 1) * interval '1 day' END,
                '', c.t, c.t,
                (SELECT min(id) FROM cases_applicant) + g % {applicants},
                NULL, CASE WHEN g % 3 = 2 THEN {agent.pk} END, '{{}}'::jsonb, '{{}}'::jsonb,
                ({centre_array})[1 + g % {len(centre_ids)}]
            FROM generate_series(1, {cases}) AS g
            CROSS JOIN LATERAL (SELECT now() - (g % 365) * interval '1 day'
                                            - (g % 86400) * interval '1 second' AS t) AS c
            CROSS JOIN LATERAL (SELECT
                CASE WHEN g % 100 < 70 THEN 'CLOSED' WHEN g % 100 < 80 THEN 'IN_REVIEW'
                     WHEN g % 100 < 84 THEN 'SUBMITTED' WHEN g % 100 < 88 THEN 'ISSUED'
                     WHEN g % 100 < 90 THEN 'IN_DELIVERY' WHEN g % 100 < 94 THEN 'WITHDRAWN'
                     WHEN g % 100 < 97 THEN 'PENDING_MATERIALS' ELSE 'SUSPENDED' END AS state,
                g % 100 < 80 OR g % 100 >= 84 AND g % 100 < 94 OR g % 100 >= 97 AS accepted,
                g % 100 < 70 OR g % 100 >= 84 AND g % 100 < 90 AS concluded) AS s
            """,
        ),
        (
            "case items",
            f"""
            INSERT INTO cases_case_items (case_id, serviceitem_id)
            SELECT id, ({item_ids})[1 + id % {n_items}] FROM cases_case
            UNION ALL  -- one case in five asks for a second item
            SELECT id, ({item_ids})[1 + (id + 1) % {n_items}] FROM cases_case WHERE id % 5 = 0
            """,
        ),
        (
            "approvals",
            f"""
            INSERT INTO cases_approval (case_id, item_id, department_id, state, due_date,
                sla_colour, started_at, decided_at, is_auto_decided, decision_note,
                supplement_materials, checks, created_at, updated_at)
            SELECT id, ({item_ids})[1 + id % {n_items}], ({department_ids})[1 + id % {n_items}],
                CASE WHEN concluded_at IS NOT NULL THEN
                        CASE WHEN id % 20 = 0 THEN 'REJECTED' ELSE 'APPROVED' END
                     WHEN state = 'WITHDRAWN' THEN 'VOIDED'
                     WHEN state = 'SUSPENDED' THEN 'SUPPLEMENT_REQUESTED'
                     ELSE 'IN_REVIEW' END,
                due_date,
                CASE WHEN concluded_at IS NULL AND due_date < current_date THEN 'red'
                     WHEN concluded_at IS NULL AND due_date < current_date + 4 THEN 'amber'
                     ELSE 'green' END,
                accepted_at, concluded_at, id % 4 = 0, '', '[]', '[]', accepted_at, accepted_at
            FROM cases_case WHERE accepted_at IS NOT NULL
            """,
        ),
        (
            "materials",
            f"""
            INSERT INTO cases_casematerial (case_id, material_type_id, status, detail, file,
                original_name, content_type, sha256, evidence_declined, created_at, updated_at)
            SELECT c.id, ({material_ids})[1 + (c.id + k) % {n_materials}],
                (ARRAY['reused_material','produced_in_case','uploaded','missing','reused_material'])
                    [1 + (c.id + k) % 5],
                '', '', '', '', repeat('a', 64), false, c.created_at, c.created_at
            FROM cases_case AS c CROSS JOIN generate_series(0, 1) AS k
            """,
        ),
        (
            "visits",
            """
            INSERT INTO cases_visit (case_id, reason, note, created_at)
            SELECT c.id, 'intake', '', c.created_at
            FROM cases_case AS c CROSS JOIN generate_series(1, 2) AS k
            WHERE c.state = 'CLOSED' AND (c.id % 10 < 6 AND k = 1 OR c.id % 10 >= 8)
            """,
        ),
        (
            "ratings",
            """
            INSERT INTO cases_rating (case_id, level, comment, created_at)
            SELECT id, 1 + id % 5, '', closed_at FROM cases_case
            WHERE state = 'CLOSED' AND id % 10 = 1
            """,
        ),
    ]
    with connection.cursor() as cursor:
        # Generated rows are consistent by construction: skip the per-row foreign-key
        # triggers while filling (the bench's own throw-away server; needs a superuser).
        cursor.execute("SET session_replication_role = replica")
        for name, sql in steps:
            started = time.perf_counter()
            cursor.execute(sql)
            print(
                f"  {name:<12} {cursor.rowcount:>9,} rows  {time.perf_counter() - started:6.1f} s"
            )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [cases])
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        print(f"  vacuum analyze          {time.perf_counter() - started:6.1f} s")


def machine() -> str:
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return f"{cpu}, {os.cpu_count()} CPUs{memory}; PostgreSQL {version}; Python {platform.python_version()}"


def measure(runs: int, path: str) -> list[float]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from departments.constants import Role
    from departments.models import StaffProfile
    from tests.sign_in import sign_in  # signed in with the second factor, as production asks

    user, _ = get_user_model().objects.get_or_create(username="bench_supervisor")
    StaffProfile.objects.get_or_create(user=user, defaults={"role": Role.SUPERVISOR})
    client = Client()
    sign_in(client, user)
    response = client.get(path)  # warm-up: caches, connection, plans
    assert response.status_code == 200, response.status_code
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    return timings


def run(database_url: str, cases: int, runs: int) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.prod")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret-" + "x" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")  # the test client speaks HTTP
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from cases.models import Case
    from centres.services import network_demo_load
    from departments.services.catalogue import catalogue_import

    call_command("migrate", verbosity=0)
    if not Case.objects.exists():
        catalogue_import(path=ROOT / "departments" / "demo" / "catalogue.yaml")
        network_demo_load()
        print(f"filling {cases:,} cases")
        fill(cases)
    print(f"cases in the database: {Case.objects.count():,}")
    from supervision.services.figures import supervision_figures_refresh

    refresh = supervision_figures_refresh()
    print(f"dashboard rollups rebuilt (the periodic task's work) in {refresh.seconds:.1f} s")
    print(f"machine: {machine()}")
    for label, path in _views(timezone.localdate() - dt.timedelta(days=29)):
        timings = measure(runs, path)
        print(
            f"{label}: median {statistics.median(timings) * 1000:.0f} ms, "
            f"best {min(timings) * 1000:.0f} ms, worst {max(timings) * 1000:.0f} ms "
            f"over {runs} runs"
        )


def _views(month_ago: object) -> list[tuple[str, str]]:
    """Every filter on its own and combined, at every level of the network."""
    from departments.models import Department, ServiceItem

    item = ServiceItem.objects.order_by("code").first()
    department = Department.objects.order_by("code").first()
    return [
        ("dashboard /supervision/ (city, no filter)", "/supervision/"),
        ("last 30 days, online", f"/supervision/?channel=online&date_from={month_ago}"),
        (f"item {item.code}", f"/supervision/?item={item.code}"),
        (f"department {department.code}", f"/supervision/?department={department.code}"),
        ("county 谯城区", "/supervision/?centre=QC"),
        ("town 古井镇", "/supervision/?centre=QCGJ"),
        ("village 古井村", "/supervision/?centre=QCGJGJ"),
        (
            "county + department + online + 30 days",
            f"/supervision/?centre=QC&department={department.code}&channel=online"
            f"&date_from={month_ago}",
        ),
        (f"town + item {item.code}", f"/supervision/?centre=QCGJ&item={item.code}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="an existing empty database (default: start one)")
    arguments = parser.parse_args()
    if arguments.database_url:
        run(arguments.database_url, arguments.cases, arguments.runs)
        return
    from tools.servers import postgres_server

    with postgres_server() as database_url:
        run(database_url, arguments.cases, arguments.runs)


if __name__ == "__main__":
    main()
