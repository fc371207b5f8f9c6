#!/usr/bin/env python3
"""Benchmark: a busy hall on PostgreSQL, 50 windows calling while 500 kiosks and phones take tickets.

    .venv/bin/python bench/hall.py                                   # 50 windows, 500 takers, 20 s
    .venv/bin/python bench/hall.py --windows 50 --takers 500 --seconds 20
    .venv/bin/python bench/hall.py --take-every 0 --call-every 0     # saturation: no pauses
    .venv/bin/python bench/hall.py --database-url postgres://...     # an existing, empty database

It starts its own throw-away PostgreSQL (tools/servers.py), migrates, loads the demo
network, opens every centre round the clock, and gives the city centre (BZ) ``--windows``
windows, each calling queue A (综合受理) and one of B/C/D, each with its own clerk. Then
``--backlog`` tickets are taken, so the windows start with people waiting.

The load calls the services (``ticket_take``, ``ticket_call_next``) directly, not HTTP:
the figure asked for is the database's side of a take and of a call — the counter row
lock, ``FOR UPDATE SKIP LOCKED`` under 50 competing windows — and a web server or the
test client would add its own request handling to every sample. Every kiosk/phone and
every window is one thread with its own database connection (Django's connections are
per thread), opened before the clock starts and closed at the end. The threads are spread
over ``--processes`` processes (default: one per core), so that Python's GIL, which
500 threads in one process would queue behind, is not what is measured. More processes
than cores made it worse on 2 cores (take p95 1.4 s with 8 processes, 74 ms with 2, both
on a machine busy with other work): they fight each other and PostgreSQL for the cores.

A taker takes a ticket (no ID number, like most kiosk takes) in queue A (55%) or B/C/D,
then pauses a random time averaging ``--take-every`` seconds (the first pause before its
first take, so that 500 kiosks are busy at once without all pressing in the same
millisecond); a window presses "call next" and pauses ``--call-every`` seconds on average (0 for both: as fast as possible).
Each call's wall time is measured in the thread that makes it. At the end the database
is checked: no ticket has more than one Call row, every called ticket has exactly one
window and a call count of 1, and no ticket id was handed to two windows. It prints the
machine, p50/p95/p99/max of take and of call-next (calls that found a ticket, and the
empty ones apart), throughput, and the double calls found (must be 0).

Figures (2 cores, x86_64, Python 3.11, default arguments, load average under 1.5, 4 Dec
2026): take p50 5.5–6.9 ms, p95 11.1–13.8 ms, 50/s; call-next p50 3.0–3.5 ms, p95
7.5–8.8 ms, 49/s; 0 double calls.
Without pauses (saturation) the takes queue on the per-queue counter row: 48 takes/s,
p95 22 s, and still 0 double calls.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CENTRE = "BZ"
ALWAYS_OPEN = {str(day): [["00:00", "23:59"]] for day in range(1, 8)}
QUEUE_WEIGHTS = {"A": 55, "B": 15, "C": 15, "D": 15}
SECOND_QUEUES = "BCD"  # window n calls A and SECOND_QUEUES[n % 3]
# PostgreSQL's connection limit: one per thread, plus the parent's and some spare.
SERVER_SETTINGS = ("max_connections=800",)


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.prod")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret-" + "x" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


# -- the hall -------------------------------------------------------------------------------


def hall_create(*, windows: int) -> tuple[list[int], list[tuple[int, int]]]:
    """The demo network, always open; ``windows`` windows at BZ with a clerk each.
    Answers the queue ids and (window id, clerk id) pairs."""
    from django.contrib.auth import get_user_model

    from centres.models import Centre, Queue, ServiceWindow
    from centres.services import network_demo_load
    from departments.constants import Role
    from departments.models import StaffProfile

    network_demo_load()
    Centre.objects.update(opening_hours=ALWAYS_OPEN)
    centre = Centre.objects.get(code=CENTRE)
    queues = {queue.code: queue for queue in Queue.objects.filter(centre=centre)}
    ServiceWindow.objects.filter(centre=centre).delete()
    pairs = []
    for number in range(1, windows + 1):
        window = ServiceWindow.objects.create(centre=centre, number=number)
        window.queues.set([queues["A"], queues[SECOND_QUEUES[number % len(SECOND_QUEUES)]]])
        clerk = get_user_model().objects.create_user(
            username=f"bench_clerk_{number}", password=None, is_staff=True
        )
        StaffProfile.objects.create(user=clerk, role=Role.CLERK, centre=centre)
        pairs.append((window.pk, clerk.pk))
    queue_ids = [queues[code].pk for code in QUEUE_WEIGHTS]
    return queue_ids, pairs


def backlog_take(*, queue_ids: list[int], count: int) -> None:
    from centres.models import Queue
    from hall.services.tickets import ticket_take

    queues = list(Queue.objects.filter(pk__in=queue_ids))
    for index in range(count):
        ticket_take(queue=queues[index % len(queues)])


# -- the load, in each worker process -------------------------------------------------------


@dataclass
class Samples:
    take_ms: list[float] = field(default_factory=list)
    call_ms: list[float] = field(default_factory=list)  # calls that found a ticket
    empty_ms: list[float] = field(default_factory=list)  # calls that found nobody waiting
    called_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _pause(rng: random.Random, mean: float) -> None:
    if mean > 0:
        time.sleep(rng.expovariate(1 / mean))


def _taker(
    seed: int, queue_ids: list[int], mean: float, ready: threading.Barrier, until: list[float],
    out: Samples, lock: threading.Lock,
) -> None:  # fmt: skip
    from django.db import connection

    from centres.models import Queue
    from hall.exceptions import TicketError
    from hall.services.tickets import ticket_take

    rng = random.Random(seed)
    queues = list(Queue.objects.filter(pk__in=queue_ids).order_by("code"))  # opens the connection
    weights = list(QUEUE_WEIGHTS.values())
    local, errors = [], []
    ready.wait()
    _pause(rng, mean)  # the kiosks are busy at once, but not in lockstep
    try:
        while time.monotonic() < until[0]:
            queue = rng.choices(queues, weights)[0]
            started = time.perf_counter()
            try:
                ticket_take(queue=queue)
            except TicketError as error:
                errors.append(f"take: {error}")
            else:
                local.append((time.perf_counter() - started) * 1000)
            _pause(rng, mean)
    finally:
        connection.close()
        with lock:
            out.take_ms.extend(local)
            out.errors.extend(errors)


def _window(
    seed: int, window_id: int, clerk_id: int, mean: float, ready: threading.Barrier,
    until: list[float], out: Samples, lock: threading.Lock,
) -> None:  # fmt: skip
    from django.contrib.auth import get_user_model
    from django.db import connection

    from centres.models import ServiceWindow
    from hall.exceptions import TicketError
    from hall.services.calling import ticket_call_next

    rng = random.Random(seed)
    window = ServiceWindow.objects.select_related("centre").get(pk=window_id)
    clerk = get_user_model().objects.select_related("staff_profile__centre").get(pk=clerk_id)
    called, empty, ids, errors = [], [], [], []
    ready.wait()
    _pause(rng, mean)
    try:
        while time.monotonic() < until[0]:
            started = time.perf_counter()
            try:
                ticket = ticket_call_next(window=window, user=clerk)
            except TicketError as error:
                errors.append(f"call: {error}")
            else:
                elapsed = (time.perf_counter() - started) * 1000
                if ticket is None:
                    empty.append(elapsed)
                else:
                    called.append(elapsed)
                    ids.append(ticket.pk)
            _pause(rng, mean)
    finally:
        connection.close()
        with lock:
            out.call_ms.extend(called)
            out.empty_ms.extend(empty)
            out.called_ids.extend(ids)
            out.errors.extend(errors)


def worker(job: dict[str, Any]) -> Samples:
    """One process's share: its taker and window threads, started together at
    ``job["start_at"]`` (wall clock, the same for every process) for ``job["seconds"]``."""
    setup_django(job["database_url"])
    out, lock = Samples(), threading.Lock()
    until = [0.0]
    threads_count = len(job["takers"]) + len(job["windows"])

    def go() -> None:  # the barrier's action: every thread is connected, start the clock
        time.sleep(max(0.0, job["start_at"] - time.time()))
        until[0] = time.monotonic() + job["seconds"]

    ready = threading.Barrier(threads_count, action=go)
    threads = [
        threading.Thread(
            target=_taker,
            args=(seed, job["queue_ids"], job["take_every"], ready, until, out, lock),
        )
        for seed in job["takers"]
    ] + [
        threading.Thread(
            target=_window,
            args=(seed, window_id, clerk_id, job["call_every"], ready, until, out, lock),
        )
        for seed, (window_id, clerk_id) in job["windows"]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


# -- checking and printing ------------------------------------------------------------------


def double_calls(called_ids: list[int]) -> dict[str, int]:
    """What the database says about the calls: every figure but ``calls`` must be 0."""
    from django.db.models import Count

    from hall.constants import TicketState
    from hall.models import Call, Ticket

    called = Ticket.objects.exclude(state=TicketState.WAITING)
    return {
        "calls": Call.objects.count(),
        "tickets_with_two_calls": Call.objects.values("ticket")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count(),
        "called_without_window": called.filter(window__isnull=True).count(),
        "called_more_than_once": called.exclude(call_count=1).count(),
        "calls_not_matching_tickets": abs(Call.objects.count() - called.count()),
        "ids_handed_out_twice": len(called_ids) - len(set(called_ids)),
        "handed_out_not_in_database": len(set(called_ids))
        - called.filter(pk__in=called_ids).count(),
    }


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return f"n={len(values)}"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return (
        f"n={len(values):,} p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, "
        f"p99 {cuts[98]:.1f} ms, max {max(values):.1f} ms"
    )


def run(database_url: str, arguments: argparse.Namespace) -> Samples:
    setup_django(database_url)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    queue_ids, pairs = hall_create(windows=arguments.windows)
    backlog_take(queue_ids=queue_ids, count=arguments.backlog)
    # A hall's tables are analysed by autovacuum as they fill; a database filled seconds
    # ago has no statistics yet, and the planner would guess one waiting ticket.
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")
    connections.close_all()  # the workers are forked: they must not share this connection
    processes = arguments.processes or os.cpu_count() or 1
    start_at = time.time() + 3 + (arguments.takers + arguments.windows) / 100
    jobs = [
        {
            "database_url": database_url,
            "queue_ids": queue_ids,
            "takers": list(range(arguments.takers))[index::processes],
            "windows": list(enumerate(pairs, start=100_000))[index::processes],
            "take_every": arguments.take_every,
            "call_every": arguments.call_every,
            "seconds": arguments.seconds,
            "start_at": start_at,
        }
        for index in range(processes)
    ]
    jobs = [job for job in jobs if job["takers"] or job["windows"]]
    total = Samples()
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=get_context("fork")) as pool:
        for part in pool.map(worker, jobs):
            for name in ("take_ms", "call_ms", "empty_ms", "called_ids", "errors"):
                getattr(total, name).extend(getattr(part, name))
    report(total, arguments, processes, double_calls(total.called_ids))
    return total


def report(
    total: Samples, arguments: argparse.Namespace, processes: int, checks: dict[str, int]
) -> None:
    seconds = arguments.seconds
    print(f"machine: {machine()}")
    print("load average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(
        f"load: {arguments.windows} windows, {arguments.takers} takers in {processes} processes "
        f"for {seconds:g} s; pauses: take every {arguments.take_every:g} s, call every "
        f"{arguments.call_every:g} s per thread (mean); backlog {arguments.backlog} tickets"
    )
    print(
        f"take-ticket:           {percentiles(total.take_ms)}; {len(total.take_ms) / seconds:,.0f}/s"
    )
    print(
        f"call-next (a ticket):  {percentiles(total.call_ms)}; {len(total.call_ms) / seconds:,.0f}/s"
    )
    print(f"call-next (nobody):    {percentiles(total.empty_ms)}")
    print(f"call-next (all):       {percentiles(total.call_ms + total.empty_ms)}")
    print(f"errors: {len(total.errors)}" + (f", first: {total.errors[0]}" if total.errors else ""))
    print("database check: " + ", ".join(f"{name} {value}" for name, value in checks.items()))
    doubles = sum(value for name, value in checks.items() if name != "calls")
    print("double calls: 0" if doubles == 0 else f"DOUBLE CALLS FOUND: {doubles}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=50)
    parser.add_argument("--takers", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--take-every", type=float, default=10.0, help="mean pause (s), per taker")
    parser.add_argument("--call-every", type=float, default=1.0, help="mean pause (s), per window")
    parser.add_argument("--backlog", type=int, default=1000, help="tickets waiting at the start")
    parser.add_argument("--processes", type=int, default=0, help="default: one per core")
    parser.add_argument("--database-url", help="an existing empty database (default: start one)")
    arguments = parser.parse_args()
    for name in ("windows", "takers", "seconds"):
        if getattr(arguments, name) <= 0:
            parser.error(f"--{name} must be positive")
    if arguments.database_url:
        run(arguments.database_url, arguments)
        return
    from tools.servers import postgres_server

    with postgres_server(*SERVER_SETTINGS) as database_url:
        run(database_url, arguments)


if __name__ == "__main__":
    main()
