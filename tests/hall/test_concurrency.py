"""Many windows at once (issue 17.4): every waiting ticket is called exactly once, and
many takers at once never share a number. On PostgreSQL (``SKIP LOCKED``) and on the
embedded SQLite (the conditional UPDATE), each in real threads with their own
connections."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from centres.models import Queue, ServiceWindow
from hall.models import Call, Ticket
from hall.services.calling import ticket_call_next
from hall.services.tickets import ticket_take

pytestmark = pytest.mark.django_db(transaction=True)


def _run_together(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """``work(i)`` in ``count`` threads released at the same instant; their errors."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _windows_calling(queue: Queue, count: int) -> list[ServiceWindow]:
    windows = list(ServiceWindow.objects.filter(centre=queue.centre, queues=queue))
    for number in range(100, 100 + count - len(windows)):
        extra = ServiceWindow.objects.create(centre=queue.centre, number=number)
        extra.queues.add(queue)
        windows.append(extra)
    return windows[:count]


def _every_ticket_called_once(queue, hall_clerk, *, threads: int, tickets: int) -> None:  # type: ignore[no-untyped-def]
    a = queue("BZ", "A")
    for _ in range(tickets):
        ticket_take(queue=a)
    windows = _windows_calling(a, threads)
    clerk = hall_clerk("BZ")
    called: list[tuple[int, int]] = []
    lock = threading.Lock()

    def press(index: int) -> None:
        while (ticket := ticket_call_next(window=windows[index], user=clerk)) is not None:
            with lock:
                called.append((ticket.pk, windows[index].pk))

    assert _run_together(threads, press) == []
    counts = Counter(pk for pk, _window in called)
    assert len(counts) == tickets and set(counts.values()) == {1}
    assert Call.objects.count() == tickets
    # What each thread was told is what the database holds.
    assert {pk: window for pk, window in called} == dict(Ticket.objects.values_list("pk", "window"))
    assert set(Ticket.objects.values_list("call_count", flat=True)) == {1}


@pytest.mark.postgresql
def test_twenty_windows_call_two_hundred_tickets_each_exactly_once(queue, hall_clerk):
    _every_ticket_called_once(queue, hall_clerk, threads=20, tickets=200)


@pytest.mark.sqlite
def test_on_sqlite_windows_calling_at_once_never_share_a_ticket(queue, hall_clerk):
    _every_ticket_called_once(queue, hall_clerk, threads=6, tickets=40)


def test_takers_at_once_never_share_a_number(queue):
    a = queue("BZ", "A")

    def take(_index: int) -> None:
        for _ in range(3):
            ticket_take(queue=a)

    assert _run_together(8, take) == []
    sequences = sorted(Ticket.objects.filter(queue=a).values_list("sequence", flat=True))
    assert sequences == list(range(1, 25))
