"""How far a round's verification has come: the applications per state, and how many
ineligible applications each rule failed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count

from ..constants import UNFINISHED_STATES, ApplicationState
from ..models import Application, Round
from .eligibility import decoded_json


@dataclass(frozen=True)
class RoundProgress:
    total: int
    states: dict[str, int]

    @property
    def unfinished(self) -> int:
        return sum(self.states.get(state, 0) for state in UNFINISHED_STATES)

    @property
    def submitted(self) -> int:
        return self.states.get(ApplicationState.SUBMITTED, 0)


def round_progress(*, round_: Round) -> RoundProgress:
    """How many applications are in each state: one ``GROUP BY``."""
    states = dict(
        Application.objects.filter(round=round_)
        .values_list("state")
        .annotate(count=Count("id"))
        .order_by()
        .values_list("state", "count")
    )
    return RoundProgress(total=sum(states.values()), states=states)


def round_failures_by_rule(*, round_: Round) -> dict[str, int]:
    """How many ineligible applications each rule failed (a summary of the run), read in
    chunks so memory stays flat."""
    counts: Counter[str] = Counter()
    reasons = (
        Application.objects.filter(round=round_, state=ApplicationState.INELIGIBLE)
        .values_list("reasons", flat=True)
        .iterator(chunk_size=10_000)
    )
    for listed in reasons:
        for reason in decoded_json(listed) or []:
            counts[reason.get("rule") or reason.get("registry", "")] += 1
    return dict(counts)
