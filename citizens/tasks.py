from __future__ import annotations

from celery import shared_task

from onewindow.celery import OutageRetryingTask

from .services.sign_in import one_time_code_deliver, one_time_codes_purge
from .services.track_failures import track_failures_purge


@shared_task(name="citizens.send_one_time_code", base=OutageRetryingTask)
def send_one_time_code(code_id: int, code: str) -> None:
    """Send the sign-in code by SMS. The code itself travels in the message because
    only its hash is stored; it is useless after five minutes. Sending twice is
    prevented by ``sent_at``; a code for an unregistered ID number is never sent."""
    one_time_code_deliver(code_id=code_id, plain_code=code)


def send_one_time_code_publish(code_id: int, code: str) -> None:
    """The sign-in service's sender (``one_time_code_sender_register``)."""
    send_one_time_code.delay(code_id, code)


@shared_task(name="citizens.purge_one_time_codes", base=OutageRetryingTask)
def purge_one_time_codes() -> int:
    """Daily: delete sign-in codes older than a day, and the tracking throttle's counts
    whose window has ended. Running it twice changes nothing more."""
    return one_time_codes_purge() + track_failures_purge()
