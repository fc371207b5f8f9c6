"""What the lottery's admin pages share: who is a lottery officer, and the confinement of
an officer to their own department's rule sets (other rows answer 404)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from cases.admin import MissingIs404Mixin
from departments.constants import Role
from departments.roles import has_role

from ..selectors import user_confined_rule_set_department_id


def is_lottery_officer(user: Any) -> bool:
    return has_role(user, Role.LOTTERY_OFFICER)


def concrete_field_names(model: type[models.Model]) -> tuple[str, ...]:
    """Every stored field of ``model`` but its primary key (the read-only pages show them)."""
    return tuple(field.name for field in model._meta.concrete_fields if not field.primary_key)


class ConfinedToDepartmentMixin(MissingIs404Mixin):
    """Rows of other departments' rule sets answer 404, like rows that do not exist."""

    department_lookup: str = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        department_id = user_confined_rule_set_department_id(request.user)
        if department_id is None:
            return queryset
        return queryset.filter(**{self.department_lookup: department_id})
