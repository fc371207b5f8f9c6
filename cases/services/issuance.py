"""Issuance: the case's certificates are in the library."""

from __future__ import annotations

from typing import Any

from ..models import Case
from .transitions import run_transition


def case_issue(*, case: Case, actor: Any = None, actor_label: str = "system") -> Case:
    return run_transition(case, "issue", actor=actor, actor_label=actor_label)
