"""Running functions at the same instant, for the tests of what happens under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def race(functions: list[Callable[[], Any]], *, timeout: float = 120) -> list[Any]:
    """Run the functions in threads released together by a barrier; return, in their
    order, what each returned or the exception it raised. Each thread closes its own
    database connections when done (Django's connections are per thread)."""
    barrier = threading.Barrier(len(functions))
    outcomes: list[Any] = [None] * len(functions)

    def run(index: int, function: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = function()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(index, function))
        for index, function in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes
