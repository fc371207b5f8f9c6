"""The /me/ home's "what to do next" block: ``{% case_next_steps applicant as steps %}``."""

from __future__ import annotations

from django import template

from cases.models import Applicant

from ..selectors import CaseNextSteps, next_steps

register = template.Library()


@register.simple_tag
def case_next_steps(applicant: Applicant, cases: object = None) -> list[CaseNextSteps]:
    """``cases``: the page's list of the applicant's cases, if it has one (read once)."""
    return next_steps(applicant, cases=list(cases) if cases else None)
