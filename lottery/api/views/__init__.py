"""The lottery API (issue 16): rounds for the lottery officer, applications taken in at the
window or by an agent, and the public side — an application's verdict and its appeal
(number + the last four characters of the ID, like case tracking), the published pool
file and the draw's result that anyone can re-run (``tools/verify_draw.py``).

Thin views: shape checks here, everything else in ``lottery.services``. Bad input is
``400`` with a message per field (nothing changed), a state conflict ``409``.

One module per part: ``rounds``, ``applications`` (staff intake, the public look-up and
appeal), ``published`` (the pool file and the result).
"""

from __future__ import annotations

from .applications import (
    ApplicationAppealView,
    ApplicationLookupView,
    RoundApplicationCreateView,
)
from .published import CSVRenderer, RoundPoolView, RoundResultView
from .rounds import RoundCloseView, RoundDetailView, RoundListView

__all__ = [
    "ApplicationAppealView",
    "ApplicationLookupView",
    "CSVRenderer",
    "RoundApplicationCreateView",
    "RoundCloseView",
    "RoundDetailView",
    "RoundListView",
    "RoundPoolView",
    "RoundResultView",
]
