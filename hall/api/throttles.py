"""The API's take limit: the same per-address counter as the phone page (``PHONE_TAKES``),
so a client cannot double its tickets by alternating the page and the API."""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import BaseThrottle

from ..throttles import PHONE_TAKES, take_blocked, take_record


class TicketTakeThrottle(BaseThrottle):
    """Every take attempt counts, a valid one too, per trusted client address; a blocked
    one is answered 429 before anything is read."""

    def allow_request(self, request: Any, view: Any) -> bool:
        block = take_blocked(request=request, limit=PHONE_TAKES)
        if block is not None:
            self.retry_after = block.retry_after
            return False
        take_record(request=request, limit=PHONE_TAKES)
        return True

    def wait(self) -> float | None:
        return getattr(self, "retry_after", None)
