from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from centres.scope import centre_filter

from ..constants import RectificationState
from ..models import Rectification, RectificationCallback

ACTIVE = "active"


def rectifications_of(user: Any) -> QuerySet[Rectification]:
    """The tasks of the user's part of the network (``centres.scope``)."""
    return Rectification.objects.filter(centre_filter(user, "rating__case__centre"))


def rectification_list(*, state: str = ACTIVE, user: Any = None) -> QuerySet[Rectification]:
    """Tasks with their case, rating and call-backs in a fixed number of queries.

    ``state``: one of ``RectificationState``, ``"active"`` (not yet closed) or ``""`` (all).
    """
    tasks = (
        rectifications_of(user)
        .select_related("rating__case", "closed_by")
        .prefetch_related(
            Prefetch(
                "callbacks", queryset=RectificationCallback.objects.select_related("called_by")
            )
        )
    )
    if state == ACTIVE:
        tasks = tasks.exclude(state=RectificationState.CLOSED)
    elif state:
        tasks = tasks.filter(state=state)
    return tasks.order_by("due_date", "id")
