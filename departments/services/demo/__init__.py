"""``load_demo``: the catalogue, synthetic registries and one login per role.

Running it again changes nothing: every row is compared with what it should be
and written only when missing or different, so a demo machine can be refreshed
at any time without duplicating people or resetting anyone's work.

One module per part: ``registries`` (the synthetic records), ``logins`` and ``groups``
(who logs in, with which permissions); ``base`` holds what they share.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from departments.services.catalogue import CatalogueError, catalogue_import

from .base import CATALOGUE_PATH, DemoDataError, DemoLoadRefusedError
from .groups import GROUP_PERMISSIONS, ROLE_GROUPS
from .logins import ROLE_LOGINS, TRANSPORT_DEPARTMENT_CODE, logins_demo_load
from .registries import registries_demo_load

__all__ = [
    "CATALOGUE_PATH",
    "GROUP_PERMISSIONS",
    "ROLE_GROUPS",
    "ROLE_LOGINS",
    "TRANSPORT_DEPARTMENT_CODE",
    "DemoDataError",
    "DemoLoadRefusedError",
    "demo_load",
]


def demo_load(*, force: bool = False) -> dict[str, int]:
    """Load or refresh the demo: what a visitor of the demo site logs in with and finds.

    Imports the demo catalogue, fills the local registries with the synthetic
    persons and organisations, and creates the logins ``clerk``, ``agent``,
    ``supervisor``, ``lottery_officer`` (of the transport department), ``admin`` and
    ``reviewer_<code>`` for every department, all with
    ``settings.DEMO_PASSWORD``. Refuses when ``DEBUG`` is off unless ``force``:
    the password is public. Returns counts for the summary.
    """
    if not settings.DEBUG and not force:
        raise DemoLoadRefusedError(
            "load_demo refuses to run with DEBUG off: it creates demo logins (clerk, agent, "
            "supervisor, lottery_officer, admin, reviewer_*) whose password "
            f"{settings.DEMO_PASSWORD!r} is public. "
            "Run it on a demo or development system, or pass --force if this one really is a demo."
        )
    with transaction.atomic():
        try:
            catalogue_counts = catalogue_import(path=CATALOGUE_PATH)
        except CatalogueError as error:
            raise DemoDataError(
                f"The demo catalogue could not be imported, nothing was loaded:\n{error}"
            ) from error
        counts = {f"catalogue_{name}": number for name, number in catalogue_counts.items()}
        counts.update(registries_demo_load())
        counts.update(logins_demo_load())
    return counts
