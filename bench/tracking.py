"""Public tracking under load: p50/p95/p99 of ``GET /api/v1/track/<no>/?id_suffix=...``
with 1,000,000 cases in PostgreSQL and 50 concurrent clients.

    .venv/bin/python -m bench.tracking                     # 1,000,000 cases, 50 clients, 30 s
    .venv/bin/python -m bench.tracking --cases 100000 --seconds 20
    .venv/bin/python -m bench.tracking --hold              # start the servers, print their URLs
    .venv/bin/python -m bench.tracking --database-url ... --redis-url ...   # reuse a filled one

It starts its own PostgreSQL and Redis (full mode; the tracking API's per-client failure
counts live in PostgreSQL, checked by its one statement), fills the cases with
``bench/dashboard.py``'s database-side fill (tracking numbers rewritten to the real
``YYMMDD`` + 8 symbol format) plus what a tracked case
shows — public events (and one internal note) on every case, a certificate on every
issued or closed approved case, a parcel on every case in delivery — serves the site
with granian (two worker processes of one Python thread each; ``--workers``,
``--threads``; ``--server gunicorn`` for gunicorn), and
loads it with ``wrk`` (a separate C program, as real clients are other machines):
``--clients`` keep-alive connections, each sending its next request as soon as the
answer is in (closed loop, no think time), for ``--seconds``.

Two runs after a 5 s warm-up: *random* (each request a random case among 20,000) and
*distinct* (each request a case not asked for before, from 300,000 others drawn at
random: nothing the server or PostgreSQL kept from an earlier request helps; the output
says if the list ever ran out). Latency percentiles are wrk's, measured at the client.
The CPU time each program used during a run (from /proc, over this process's
descendants, and wrk's own rusage) is divided by the requests answered: that figure
holds up when other jobs share the machine, the wall-clock ones do not.
Not a test: copy the figures into the README.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.processes import descendants, process_table  # noqa: E402
from tools.servers import (  # noqa: E402
    _wait_for_port,
    ensure_packages,
    free_port,
    postgres_server,
    redis_server,
)

# A server sized like a real one (the throw-away server's default shared_buffers is
# 128 MB, a fraction of the 1,000,000 cases' working set): a quarter of the 24 GiB less
# what the rest of the machine needs.
POSTGRES_SETTINGS = ("shared_buffers=2GB", "effective_cache_size=8GB")
RANDOM_PAIRS = 20_000
DISTINCT_PAIRS = 300_000

# What a tracked case shows besides its row: its public timeline by state (the path the
# workflow takes to get there), one internal note the public never sees, a certificate for
# an approved case once issued, a parcel while in delivery.
EVENTS_BY_STATE = {
    "SUBMITTED": ["submit"],
    "PENDING_MATERIALS": ["submit", "request_materials"],
    "IN_REVIEW": ["submit", "accept", "dispatch"],
    "SUSPENDED": ["submit", "accept", "dispatch", "request_supplement", "suspend"],
    "WITHDRAWN": ["submit", "accept", "dispatch", "withdraw"],
    "ISSUED": ["submit", "accept", "dispatch", "approve", "conclude", "issue"],
    "IN_DELIVERY": ["submit", "accept", "dispatch", "approve", "conclude", "issue", "ship"],
    "CLOSED": ["submit", "accept", "dispatch", "approve", "conclude", "issue", "collect"],
}


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{value}'" for value in values) + "]::text[]"


def fill_public(cursor) -> None:
    """Events, certificates and parcels for the filled cases (database-side, like the fill)."""
    path_case = " ".join(
        f"WHEN '{state}' THEN {_sql_array(names)}" for state, names in EVENTS_BY_STATE.items()
    )
    steps = [
        (
            "public events",
            f"""
            INSERT INTO cases_caseevent (case_id, approval_id, certificate_id, kind, name,
                from_state, to_state, actor_id, actor_department_id, actor_label, note, data,
                is_public, created_at, chain_position, previous_hash, row_hash)
            SELECT c.id, CASE WHEN e.name = 'approve' THEN a.id END, NULL,
                CASE WHEN e.name = 'approve' THEN 'decision' ELSE 'transition' END, e.name,
                '', '', NULL, NULL, '',
                CASE WHEN e.name = 'accept' THEN '窗口受理，材料齐全' ELSE '' END,
                '{{}}'::jsonb, true, c.created_at + e.k * interval '1 hour', NULL, '', ''
            FROM cases_case AS c
            LEFT JOIN cases_approval AS a ON a.case_id = c.id
            CROSS JOIN LATERAL unnest(CASE c.state {path_case} ELSE ARRAY['submit'] END)
                WITH ORDINALITY AS e(name, k)
            """,
        ),
        (
            "internal notes",
            """
            INSERT INTO cases_caseevent (case_id, approval_id, certificate_id, kind, name,
                from_state, to_state, actor_id, actor_department_id, actor_label, note, data,
                is_public, created_at, chain_position, previous_hash, row_hash)
            SELECT a.case_id, a.id, NULL, 'note', 'internal_note', '', '', NULL, NULL, '',
                '内部意见：已核查', '{}'::jsonb, false, a.created_at + interval '2 hours',
                NULL, '', ''
            FROM cases_approval AS a
            """,
        ),
        (
            "certificates",
            """
            INSERT INTO certificates_certificate (number, licence_id, certificate_type_id, holder_id,
                holder_kind, issuing_department_id, approval_id, case_id, status, version,
                supersedes_id, issued_at, valid_from, valid_until, revoked_at, revoke_reason,
                pdf, pdf_sha256, pdf_signed_at, seal_fingerprint, verification_token, data,
                created_at)
            SELECT 'BENCH-' || c.id, NULL, i.produces_id, c.applicant_id, 'person',
                a.department_id, a.id, c.id, 'valid', 1, NULL, c.concluded_at,
                c.concluded_at::date, NULL, NULL, '', '', '', NULL, '',
                substr(md5(c.id::text) || md5('t' || c.id::text), 1, 32), '{}'::jsonb,
                c.concluded_at
            FROM cases_case AS c
            JOIN cases_approval AS a ON a.case_id = c.id
            JOIN departments_serviceitem AS i ON i.id = a.item_id
            WHERE c.state IN ('ISSUED', 'IN_DELIVERY', 'CLOSED') AND a.state = 'APPROVED'
                AND i.produces_id IS NOT NULL
            """,
        ),
        (
            "parcels",
            """
            INSERT INTO cases_delivery (case_id, courier, waybill, recipient, phone, province,
                city, district, street, street_address, postal_code, status, signed_by,
                delivered_at, history, booking_status, booking_attempts, booking_error,
                courier_reference, booked_at, created_by_id, created_at, updated_at)
            SELECT c.id, 'EMS', 'EB' || lpad(c.id::text, 9, '0') || 'CN', '申请人', '13900000000',
                '四川省', '成都市', '锦江区', '', '红星路三段1号', '610000', 'shipped', '',
                NULL, '[]'::jsonb, 'booked', 1, '', '', c.updated_at, NULL, c.updated_at,
                c.updated_at
            FROM cases_case AS c WHERE c.state = 'IN_DELIVERY'
            """,
        ),
    ]
    cursor.execute("SET session_replication_role = replica")
    for name, sql in steps:
        started = time.perf_counter()
        cursor.execute(sql)
        print(
            f"  {name:<14} {cursor.rowcount:>9,} rows  {time.perf_counter() - started:6.1f} s",
            file=sys.stderr,
        )
    cursor.execute("SET session_replication_role = DEFAULT")


def prepare(cases: int, out: Path) -> tuple[Path, Path, int]:
    """Fill the database if it is empty; write the random and the distinct pair files."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.dashboard import fill
    from cases.models import Case
    from centres.services import network_demo_load
    from departments.services.catalogue import catalogue_import

    call_command("migrate", verbosity=0)
    if not Case.objects.exists():
        catalogue_import(path=ROOT / "departments" / "demo" / "catalogue.yaml")
        network_demo_load()  # the cases spread over the demo network's centres
        started = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # stdout is for the figures only
            fill(cases)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_case SET tracking_no = "
                "to_char(created_at, 'YYMMDD') || upper(lpad(to_hex(id), 8, '0'))"
            )
            fill_public(cursor)
            cursor.execute("VACUUM ANALYZE")
        print(f"filled {cases:,} cases in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    # One random draw: the first RANDOM_PAIRS for the random run (and the warm-up), the
    # rest for the distinct run, so no case of the distinct run was asked for before.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        (in_database,) = cursor.fetchone()
        cursor.execute(
            "SELECT c.tracking_no, right(a.id_number, 4) FROM cases_case c "
            "JOIN cases_applicant a ON a.id = c.applicant_id ORDER BY random() LIMIT %s",
            [RANDOM_PAIRS + DISTINCT_PAIRS],
        )
        drawn = [f"{number} {suffix}\n" for number, suffix in cursor]
    # A small database is split in half.
    random_count = min(RANDOM_PAIRS, len(drawn) // 2)
    files = [out / "random.txt", out / "distinct.txt"]
    files[0].write_text("".join(drawn[:random_count]))
    files[1].write_text("".join(drawn[random_count:]))
    connection.close()
    return files[0], files[1], in_database


# --- CPU time of the programs taking part (this process's descendants) -------------------


def _descendants(*roots: int) -> dict[int, tuple[str, float]]:
    """pid -> (program, user+system CPU seconds) for every process below this one (and
    below ``roots``: the servers of a ``--hold`` run, when reusing them). PostgreSQL
    backends come and go (Django reconnects every CONN_MAX_AGE): their time ends up in
    the postmaster's, which counts reaped children."""
    table = process_table()
    return {
        pid: (table[pid].name, table[pid].cpu_seconds)
        for pid in descendants(table, [os.getpid(), *roots])
    }


def _program(name: str) -> str:
    if name.startswith("postgres") or name == "runuser":
        return "postgresql"
    if name.startswith("redis"):
        return "redis"
    if name == "wrk":
        return "wrk"
    if name.startswith("nginx"):
        return "proxy"
    return "web server"


def cpu_by_program(before: dict, after: dict) -> Counter:
    """CPU seconds per program between two snapshots. Summed over every process of each
    snapshot, so a process that ended in between counts with what it used up to its end
    (its parent's reaped-children time) minus what it had used at the first snapshot."""
    used: Counter = Counter()
    for name, seconds in after.values():
        used[_program(name)] += seconds
    for name, seconds in before.values():
        used[_program(name)] -= seconds
    return used


# --- the web server and the load generator ------------------------------------------------


NGINX_CONFIG = """
worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    upstream onewindow {{
        least_conn;
        {servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=2048;
        location / {{
            proxy_pass http://onewindow;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
        }}
    }}
}}
"""


class Processes:
    """Several server processes stopped together (``terminate``, then ``wait``)."""

    def __init__(self, processes: list[subprocess.Popen]) -> None:
        self.processes = processes

    def terminate(self) -> None:
        for process in self.processes:
            process.terminate()

    def wait(self, timeout: float | None = None) -> None:
        for process in self.processes:
            process.wait(timeout=timeout)


def proxied_web_server(port: int, env: dict, arguments, directory: Path) -> Processes:
    """nginx on ``port`` in front of ``--workers`` granian servers of one worker process
    each, on ports of their own: nginx hands each request to the server with the fewest
    requests in progress (``least_conn`` over kept-alive upstream connections), so no
    server gets more than its share because the kernel gave it more client connections."""
    ensure_packages("nginx")
    ports = [free_port() for _ in range(arguments.workers)]
    single = argparse.Namespace(**{**vars(arguments), "workers": 1, "proxy": None})
    processes = [web_server(own, env, single, directory) for own in ports]
    for own in ports:
        _wait_for_port(own)
    config = directory / "nginx.conf"
    config.write_text(
        NGINX_CONFIG.format(
            directory=directory,
            port=port,
            servers="\n        ".join(f"server 127.0.0.1:{own};" for own in ports),
        )
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    processes.append(subprocess.Popen([nginx, "-c", str(config)], stdout=subprocess.DEVNULL))
    return Processes(processes)


def web_server(port: int, env: dict, arguments, directory: Path):
    if arguments.proxy == "nginx":
        return proxied_web_server(port, env, arguments, directory)
    if arguments.server == "granian":
        command = [sys.executable, "-m", "granian", "--interface", "wsgi", "onewindow.wsgi:application",
                   "--host", "127.0.0.1", "--port", str(port), "--workers", str(arguments.workers),
                   "--blocking-threads", str(arguments.threads), "--runtime-mode", "st",
                   "--backlog", "2048", "--log-level", "warning"]  # fmt: skip
        if arguments.backpressure:
            command += ["--backpressure", str(arguments.backpressure)]
        command += arguments.granian_option
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    command = [sys.executable, "-m", "gunicorn", "onewindow.wsgi", "--bind", f"127.0.0.1:{port}",
               "--workers", str(arguments.workers), "--worker-class", arguments.worker_class,
               "--threads", str(arguments.threads), "--backlog", "2048",
               "--keep-alive", "75", "--log-level", "warning"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def wrk(port: int, pairs: Path, mode: str, *, clients: int, seconds: float) -> dict:
    """Run wrk; its JSON summary plus the CPU seconds wrk itself used."""
    threads = min(2, clients)
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            ["wrk", f"-t{threads}", f"-c{clients}", f"-d{round(seconds)}s", "--timeout", "10s",
             "-s", str(ROOT / "bench" / "tracking.lua"), f"http://127.0.0.1:{port}",
             "--", str(pairs), mode, str(threads)],
            stdout=output, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        time.sleep(min(2.0, seconds / 4))
        split = connections_per_process(port)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    if process.returncode != 0:
        raise SystemExit(f"wrk failed: {text}")
    result = json.loads([row for row in text.splitlines() if row.startswith("{")][-1])
    result["wrk_cpu_seconds"] = usage.ru_utime + usage.ru_stime
    result["connections_per_worker"] = split
    return result


def connections_per_process(port: int) -> list[int]:
    """How the clients' connections are spread over the server's worker processes (the
    kernel hands each new connection to one worker: granian's workers each listen with
    SO_REUSEPORT, and a keep-alive connection stays with its worker). Largest first."""
    try:
        output = subprocess.run(
            ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return []
    counts = Counter(re.findall(r"pid=(\d+)", output))
    return sorted(counts.values(), reverse=True)


def measured(port: int, pairs: Path, mode: str, arguments) -> dict:
    roots = arguments.count_cpu_under
    before = _descendants(*roots)
    result = wrk(port, pairs, mode, clients=arguments.clients, seconds=arguments.seconds)
    cpu = cpu_by_program(before, _descendants(*roots))
    cpu["wrk"] += result["wrk_cpu_seconds"]
    requests = max(result["requests"], 1)
    seconds = result["duration_us"] / 1e6
    return {
        "mode": mode,
        "requests": result["requests"],
        "requests_per_second": round(result["requests"] / seconds, 1),
        "p50_ms": round(result["p50_us"] / 1000, 2),
        "p95_ms": round(result["p95_us"] / 1000, 2),
        "p99_ms": round(result["p99_us"] / 1000, 2),
        "max_ms": round(result["max_us"] / 1000, 1),
        "mean_ms": round(result["mean_us"] / 1000, 2),
        "non_2xx": result["non_2xx"],
        "socket_errors": sum(
            result[key] for key in ("connect_errors", "read_errors", "write_errors", "timeouts")
        ),
        # More than zero: the distinct list ran out and cases were asked for again.
        "distinct_file_wrapped": result["wraps"],
        # A worker with more connections than another answers each of them later.
        "connections_per_worker": result["connections_per_worker"],
        "cpu_ms_per_request": {
            program: round(used * 1000 / requests, 3) for program, used in sorted(cpu.items())
        },
        "cpu_share_of_2_cores": round(sum(cpu.values()) / seconds / (os.cpu_count() or 1), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    parser.add_argument(
        "--proxy",
        choices=["nginx"],
        default=None,
        help="nginx in front of --workers servers of one worker process each",
    )
    parser.add_argument("--worker-class", default="gthread", help="gunicorn's")
    parser.add_argument(
        "--threads", type=int, default=1,
        help="Python threads per worker process (granian's --blocking-threads); one means"
        " each worker answers its requests first come, first served, with no second thread"
        " to hand the GIL to (README: two threads stretched the tail)",
    )  # fmt: skip
    parser.add_argument(
        "--backpressure", type=int, default=0,
        help="granian's connections per worker at most (default: granian's)",
    )  # fmt: skip
    parser.add_argument(
        "--granian-option", action="append", default=[],
        help="one more granian command-line argument (repeat for more)",
    )  # fmt: skip
    parser.add_argument("--modes", default="random,distinct")
    parser.add_argument("--database-url", help="an already filled database (default: start one)")
    parser.add_argument("--redis-url", help="a Redis to use (default: start one)")
    parser.add_argument("--hold", action="store_true", help="start the servers, print the URLs")
    parser.add_argument(
        "--count-cpu-under", type=int, nargs="*", default=[],
        help="pids whose descendants' CPU time counts too (a --hold run's servers)",
    )  # fmt: skip
    arguments = parser.parse_args()
    ensure_packages("wrk")
    with contextlib.ExitStack() as stack:
        database_url = arguments.database_url or stack.enter_context(
            postgres_server(*POSTGRES_SETTINGS)
        )
        redis_url = arguments.redis_url or stack.enter_context(redis_server())
        out = Path(tempfile.mkdtemp(prefix="onewindow-tracking-"))
        stack.callback(shutil.rmtree, out, ignore_errors=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "onewindow.settings.prod",
            "SECRET_KEY": "benchmark-only-not-secret-" + "x" * 40,
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
            "PUBLIC_BASE_URL": "http://127.0.0.1",
        }
        os.environ.update(env)
        if arguments.hold:
            # Servers only: the first run given these URLs fills the database.
            import django

            django.setup()
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            print(f"--database-url {database_url} --redis-url {redis_url}", flush=True)
            # SIGTERM (or SIGINT) stops the servers and removes their directories.
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
            return
        random_pairs, distinct_pairs, in_database = prepare(arguments.cases, out)
        port = free_port()
        server = web_server(port, env, arguments, out)
        stack.callback(server.wait, timeout=30)
        stack.callback(server.terminate)
        _wait_for_port(port)
        time.sleep(1)
        wrk(port, random_pairs, "random", clients=arguments.clients, seconds=5)  # warm-up
        files = {"random": random_pairs, "distinct": distinct_pairs}
        runs = [measured(port, files[mode], mode, arguments) for mode in arguments.modes.split(",")]
    print(
        json.dumps(
            {
                "cases": in_database,
                "clients": arguments.clients,
                "seconds": arguments.seconds,
                "runs": runs,
                "server": (
                    f"gunicorn {arguments.worker_class}"
                    if arguments.server == "gunicorn"
                    else "granian wsgi"
                )
                + (
                    f", {arguments.workers} servers x 1 worker x {arguments.threads} threads"
                    " behind nginx (least_conn)"
                    if arguments.proxy
                    else f", {arguments.workers} workers x {arguments.threads} threads"
                ),
                "load_generator": f"wrk, 2 threads, {arguments.clients} keep-alive connections",
                "machine": f"{platform.machine()}, {os.cpu_count()} cores,"
                f" Python {platform.python_version()}",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
