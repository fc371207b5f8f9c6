"""Who must sign in with a second factor (TOTP or a recovery code): the rule, in one place.

Reviewers, supervisors and superusers always; window clerks and village agents when
``STAFF_2FA_CLERKS`` is on. Department systems use API tokens and are never asked.
The rule is enforced whenever ``DEBUG`` is off, and in development too with
``STAFF_2FA_REQUIRED=1``: the demo stays one command.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from two_factor.utils import default_device

from departments.constants import Role
from departments.roles import user_role

# The roles that always need the second factor (superusers are asked by their flag).
SECOND_FACTOR_ROLES: frozenset[str] = frozenset(
    {Role.REVIEWER, Role.SUPERVISOR, Role.LOTTERY_OFFICER}
)
# The roles that need it only when STAFF_2FA_CLERKS is on: the window's own staff.
WINDOW_ROLES: frozenset[str] = frozenset({Role.CLERK, Role.AGENT})


def second_factor_enforced() -> bool:
    return not settings.DEBUG or settings.STAFF_2FA_REQUIRED


def second_factor_roles() -> frozenset[str]:
    if settings.STAFF_2FA_CLERKS:
        return SECOND_FACTOR_ROLES | WINDOW_ROLES
    return SECOND_FACTOR_ROLES


def second_factor_required(user: Any) -> bool:
    """Whether ``user`` may work only after a second factor, under the current settings."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not second_factor_enforced():
        return False
    if user.is_superuser:
        return True
    return user_role(user) in second_factor_roles()


def second_factor_is_set_up(user: Any) -> bool:
    """Whether ``user`` has a confirmed authenticator (TOTP) device."""
    return default_device(user) is not None


def is_verified(user: Any) -> bool:
    """Whether this request's user passed the second factor (django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def second_factor_satisfied(user: Any) -> bool:
    """Signed in as far as the rule asks: verified, or not asked to be."""
    return not second_factor_required(user) or is_verified(user)
