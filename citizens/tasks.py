from __future__ import annotations

from celery import shared_task

from onewindow.celery import OutageRetryingTask

from .services.sign_in import one_time_code_deliver


@shared_task(name="citizens.send_one_time_code", base=OutageRetryingTask)
def send_one_time_code(code_id: int, code: str) -> None:
    """Send the sign-in code by SMS. The code itself travels in the message because
    only its hash is stored; it is useless after five minutes. Sending twice is
    prevented by ``sent_at``; a code for an unregistered ID number is never sent."""
    one_time_code_deliver(code_id=code_id, plain_code=code)


def send_one_time_code_publish(code_id: int, code: str) -> None:
    """The sign-in service's sender (``one_time_code_sender_register``)."""
    send_one_time_code.delay(code_id, code)
