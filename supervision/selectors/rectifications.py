from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from ..constants import RectificationState
from ..models import Rectification, RectificationCallback

ACTIVE = "active"


def rectification_list(*, state: str = ACTIVE) -> QuerySet[Rectification]:
    """Tasks with their case, rating and call-backs in a fixed number of queries.

    ``state``: one of ``RectificationState``, ``"active"`` (not yet closed) or ``""`` (all).
    """
    tasks = Rectification.objects.select_related("rating__case", "closed_by").prefetch_related(
        Prefetch("callbacks", queryset=RectificationCallback.objects.select_related("called_by"))
    )
    if state == ACTIVE:
        tasks = tasks.exclude(state=RectificationState.CLOSED)
    elif state:
        tasks = tasks.filter(state=state)
    return tasks.order_by("due_date", "id")
