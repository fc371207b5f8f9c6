"""Who may run which transition. django-fsm calls these as ``permission(instance, user)``.

Services pass ``actor=None`` for the system itself (tasks, webhooks, the
reconciler) and skip the check; a human user must pass it. Superusers pass
every check, and their forced transitions are flagged by supervision.
"""

from __future__ import annotations

from typing import Any

from departments.constants import Role
from departments.roles import has_role, is_reviewer_of


def is_window_staff(instance: Any, user: Any) -> bool:
    return has_role(user, Role.CLERK, Role.AGENT)


def is_clerk(instance: Any, user: Any) -> bool:
    return has_role(user, Role.CLERK)


def is_administrator(instance: Any, user: Any) -> bool:
    """Transitions the system runs by itself; a person may only force them as superuser."""
    return bool(user is not None and getattr(user, "is_superuser", False))


def is_reviewer_of_approval(instance: Any, user: Any) -> bool:
    return is_reviewer_of(user, instance.department_id)


def is_reviewer_or_window_staff(instance: Any, user: Any) -> bool:
    return is_reviewer_of_approval(instance, user) or is_window_staff(instance, user)


def is_reviewer_of_certificate(instance: Any, user: Any) -> bool:
    """Only the issuing department revokes its certificates."""
    return is_reviewer_of(user, instance.issuing_department_id)
