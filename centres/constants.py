from django.db import models
from django.utils.translation import gettext_lazy as _


class CentreLevel(models.TextChoices):
    """The four levels of Bozhou's service network, from the top down."""

    CITY = "city", _("市级")
    COUNTY = "county", _("县（区）级")
    TOWN = "town", _("乡镇（街道）级")
    VILLAGE = "village", _("村（社区）级")


# Top first: a centre's children are exactly one level below it.
LEVEL_ORDER: tuple[str, ...] = (
    CentreLevel.CITY,
    CentreLevel.COUNTY,
    CentreLevel.TOWN,
    CentreLevel.VILLAGE,
)


def level_rank(level: str) -> int:
    """0 for the city, 3 for a village point."""
    return LEVEL_ORDER.index(level)


def level_below(level: str) -> str | None:
    rank = level_rank(level)
    return LEVEL_ORDER[rank + 1] if rank + 1 < len(LEVEL_ORDER) else None


PATH_SEPARATOR = "/"
# Mondays to Fridays, 9:00–12:00 and 13:30–17:30: what a hall opens when nothing else is said.
DEFAULT_OPENING_HOURS: dict[str, list[list[str]]] = {
    str(day): [["09:00", "12:00"], ["13:30", "17:30"]] for day in range(1, 6)
}
