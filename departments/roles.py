"""Who a user is in OneWindow. Read by permission checks everywhere; writes nothing."""

from __future__ import annotations

from typing import Any

from .constants import Role


def user_role(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    profile = getattr(user, "staff_profile", None)
    return profile.role if profile is not None else None


def user_department_id(user: Any) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    profile = getattr(user, "staff_profile", None)
    return profile.department_id if profile is not None else None


def has_role(user: Any, *roles: str) -> bool:
    """Superusers hold every role: they are the administrators of the system."""
    if user is not None and getattr(user, "is_superuser", False):
        return True
    return user_role(user) in roles


def is_reviewer_of(user: Any, department_id: int) -> bool:
    if user is not None and getattr(user, "is_superuser", False):
        return True
    return (
        user_role(user) in (Role.REVIEWER, Role.DEPARTMENT_SYSTEM)
        and user_department_id(user) == department_id
    )


def is_village_agent(user: Any) -> bool:
    """A village agent (代办员) applies for people and follows the cases it submitted for
    them, and nothing else: no other case, no hand-out of results."""
    if user is None or getattr(user, "is_superuser", False):
        return False
    return user_role(user) == Role.AGENT
