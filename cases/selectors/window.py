"""Which cases window staff may open."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from centres.scope import centre_filter, centre_in_scope
from departments.roles import is_village_agent

from ..models import Case


def window_cases(*, user: Any) -> QuerySet[Case]:
    """The cases of the clerk's centre and every centre below it (the city sees all);
    for a village agent (代办员) only the cases it submitted for people — it applies and
    follows those, and sees nothing else."""
    cases = Case.objects.filter(centre_filter(user))
    if is_village_agent(user):
        cases = cases.filter(created_by=user)
    return cases


def window_case_open_to(*, case: Case, user: Any) -> bool:
    """``window_cases``'s rule for one case already read."""
    if is_village_agent(user) and case.created_by_id != user.pk:
        return False
    return centre_in_scope(user, case.centre)
