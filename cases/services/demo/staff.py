"""Who works in the demo cases: the demo logins ``load_demo`` creates — the window's
clerk, the village agent and each department's reviewer — read once per load."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from ...models import Approval
from .base import DemoCasesError


@dataclass(frozen=True)
class DemoStaff:
    clerk: Any
    agent: Any
    reviewers: dict[str, Any]  # department code -> the department's demo reviewer

    @classmethod
    def load(cls) -> DemoStaff:
        users = {
            user.username: user
            for user in get_user_model().objects.filter(username__in=["clerk", "agent"])
        }
        reviewers = {
            user.username.removeprefix("reviewer_").upper(): user
            for user in get_user_model().objects.filter(username__startswith="reviewer_")
        }
        if "clerk" not in users or "agent" not in users:
            raise DemoCasesError("The demo logins are missing: load the demo (load_demo) first.")
        return cls(clerk=users["clerk"], agent=users["agent"], reviewers=reviewers)

    def reviewer_of(self, approval: Approval) -> Any:
        reviewer = self.reviewers.get(approval.department.code)
        if reviewer is None:
            raise DemoCasesError(f"No demo reviewer for department {approval.department.code}.")
        return reviewer
