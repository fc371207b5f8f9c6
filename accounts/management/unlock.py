"""django-axes' reset commands, recording each unlock (``services.sign_in_unlock``).

``accounts`` comes before ``axes`` in ``INSTALLED_APPS``, so ``manage.py axes_reset``,
``axes_reset_username``, ``axes_reset_ip`` and ``axes_reset_ip_username`` are these:
same arguments and output as axes' own, plus a row in the unlock records.
"""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand

from ..constants import UnlockChannel
from ..services import sign_in_unlock


class UnlockCommand(BaseCommand):
    def unlock(self, *, username: str | None = None, ip_address: str | None = None) -> int:
        unlock = sign_in_unlock(
            channel=UnlockChannel.COMMAND,
            username=username,
            ip_address=ip_address,
            operator=f"{self._operator()} (manage.py)",
        )
        return unlock.attempts_cleared

    def report(self, count: int) -> None:
        self.stdout.write(f"{count} attempts removed." if count else "No attempts found.")

    @staticmethod
    def _operator() -> str:
        try:
            return getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (a container, say)
            return "?"
