"""Where a case is taken: the centre it belongs to, and whether that centre may take
its items (each item says the lowest level of the network that accepts it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from centres.constants import CentreLevel, level_rank
from centres.models import Centre
from centres.scope import centre_in_scope, user_centre
from departments.models import ServiceItem

from ...exceptions import CaseError


class CentreRefusedError(CaseError):
    """The centre may not take this case: out of the staff member's part of the network
    (``field`` "centre"), or an item that must be handled at a higher level ("items")."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def city_centre() -> Centre | None:
    """The network's top, where online cases go unless the applicant chose a centre."""
    return Centre.objects.filter(parent__isnull=True, is_active=True).order_by("pk").first()


def case_centre(*, centre: Centre | None, created_by: Any) -> Centre | None:
    """The centre a new case belongs to: the one asked for (which must lie in the staff
    member's part of the network), else the staff member's own, else the city."""
    if centre is not None:
        if created_by is not None and not centre_in_scope(created_by, centre):
            raise CentreRefusedError(
                _("%(centre)s 不在您所在中心的管辖范围内。") % {"centre": centre.name},
                field="centre",
            )
        if not centre.is_active:
            raise CentreRefusedError(
                _("%(centre)s 已停用。") % {"centre": centre.name}, field="centre"
            )
        return centre
    own = user_centre(created_by) if created_by is not None else None
    return own if own is not None else city_centre()


def items_accepted_at(*, centre: Centre | None, items: Sequence[ServiceItem]) -> None:
    """Refuse items whose lowest level is above the centre's (a village point cannot
    take a county-level item). Without a network every item is accepted."""
    if centre is None:
        return
    too_high = [item for item in items if level_rank(item.lowest_level) < level_rank(centre.level)]
    if too_high:
        names = "、".join(item.name for item in too_high)
        lowest = min((item.lowest_level for item in too_high), key=level_rank)
        raise CentreRefusedError(
            _("%(centre)s（%(level)s）不能受理：%(items)s。请到%(lowest)s及以上的服务中心办理。")
            % {
                "centre": centre.name,
                "level": centre.get_level_display(),
                "items": names,
                "lowest": CentreLevel(lowest).label,
            },
            field="items",
        )
