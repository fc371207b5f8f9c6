"""What the lottery's services refuse, with the message the person is shown."""

from __future__ import annotations


class LotteryError(Exception):
    """A refused request; ``str()`` is the message. ``field``: the input it is about."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class RoundNotOpenError(LotteryError):
    pass


class AlreadyAppliedError(LotteryError):
    def __init__(self, message: str, *, application_no: str) -> None:
        super().__init__(message)
        self.application_no = application_no


class SeedMismatchError(LotteryError):
    pass
