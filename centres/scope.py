"""Which part of the network a staff member works for: their centre and every centre
below it (data scope, 数据权限).

Window clerks, village agents and supervisors have a centre on their staff profile. The
city sees everything; a county the cases of the county, its towns and their villages;
a village point only its own. A staff member without a centre and a superuser work for
the whole network, as the single hall did before there was one. Reviewers and department
systems are scoped by their department instead (``departments.roles``), not by centre.

Callers filter with ``centre_filter(user, "centre")``; a record outside the scope then
answers as if it did not exist (404), never "forbidden".
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from .models import Centre


def user_centre(user: Any) -> Centre | None:
    """The centre a staff user works at, or None (the whole network)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.is_superuser:
        return None
    profile = getattr(user, "staff_profile", None)
    return profile.centre if profile is not None else None


def user_centre_path(user: Any) -> str | None:
    """The path prefix of the user's part of the network; None for all of it (the city
    centre's staff included: they also see the cases from before the network)."""
    centre = user_centre(user)
    if centre is None or centre.parent_id is None:
        return None
    return centre.path


def subtree_filter(path: str | None, field: str = "centre") -> Q:
    """A filter keeping the rows whose ``field`` (a foreign key to Centre) lies at the
    centre with this path or below it; ``path=None`` keeps every row (the whole
    network), ``field=""`` filters the centres themselves."""
    if path is None:
        return Q()
    return Q(**{f"{field}__path__startswith" if field else "path__startswith": path})


def centre_filter(user: Any, field: str = "centre") -> Q:
    """``subtree_filter`` for the user's part of the network. Rows with no centre
    (accepted before the network existed) belong to the city: only the whole-network
    scope sees them."""
    return subtree_filter(user_centre_path(user), field)


def centre_in_scope(user: Any, centre: Centre | None) -> bool:
    """``centre_filter``'s rule for one centre already read."""
    path = user_centre_path(user)
    if path is None:
        return True
    return centre is not None and centre.path.startswith(path)


def centres_in_scope(user: Any):  # type: ignore[no-untyped-def]
    """Every centre the user may see or choose, top first."""
    path = user_centre_path(user)
    centres = Centre.objects.filter(is_active=True)
    return centres.filter(subtree_filter(path, ""))
