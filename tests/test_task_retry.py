"""The tasks' outage policy (onewindow/celery.py): every OneWindow task retries a
database or broker outage in a worker; in-process (eager) and direct calls raise at once."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from onewindow.celery import OutageRetryingTask, app

CALLS: list[int] = []


@app.task(name="tests.outage_once", base=OutageRetryingTask, bind=True)
def outage(self, number: int) -> int:
    CALLS.append(number)
    raise OperationalError("server closed the connection unexpectedly")


def test_every_task_of_every_app_retries_outages():
    app.loader.import_default_modules()  # every installed app's tasks module, as a worker does
    # Not operations.heartbeat: a heartbeat that waited out an outage would hide it.
    ours = {"cases", "certificates", "citizens", "privacy", "lottery", "supervision"}
    tasks = [task for name, task in app.tasks.items() if name.split(".")[0] in ours]
    assert len(tasks) >= 10
    assert {task.name.split(".")[0] for task in tasks} >= {"cases", "certificates", "citizens"}
    for task in tasks:
        assert isinstance(task, OutageRetryingTask), task.name
        assert (task.max_retries, task.retry_backoff_max, task.retry_jitter) == (40, 8, True)


def test_an_eager_task_raises_the_outage_at_once_instead_of_retrying_in_the_request():
    CALLS.clear()
    with pytest.raises(OperationalError):
        outage.apply(args=(1,), throw=True)
    assert CALLS == [1]
    with pytest.raises(OperationalError):
        outage(2)  # a direct call
    assert CALLS == [1, 2]
