"""The lottery officer's desk in the Django admin.

Rule sets are edited here as JSON (checked by ``RuleSet.clean`` and the registries that
exist). Rounds and applications are created and moved only by ``lottery.services``: the
admin shows them read-only, and its buttons — close applications, start the verification,
draw with the seed, decide an appeal — each call one service, for lottery officers only,
by POST. A refusal shows the service's message and changes nothing.

An officer sees the rounds of their own department's rule sets (and those rounds'
applications); superusers see all. Lists join what they show and never count a whole
table of two million applications more than the paginator must.

One module per model; importing this package registers them all (Django's autodiscovery
imports ``lottery.admin``).
"""

from __future__ import annotations

from .applications import ApplicationAdmin
from .common import ConfinedToDepartmentMixin, concrete_field_names, is_lottery_officer
from .rounds import RoundAdmin
from .rule_sets import RuleSetAdmin

__all__ = [
    "ApplicationAdmin",
    "ConfinedToDepartmentMixin",
    "RoundAdmin",
    "RuleSetAdmin",
    "concrete_field_names",
    "is_lottery_officer",
]
