"""好差评: the applicant rates a closed case once; a bad rating opens a rectification."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.constants import CaseState, EventKind, RatingLevel
from cases.models import Applicant, Approval, Case, CaseEvent, Rating

from ..constants import BAD_RATING_MAX_LEVEL
from ..exceptions import RatingError

COMMENT_MAX_LENGTH = 1000

# What happens, in the rating's own transaction, when someone is unsatisfied: supervision
# registers its rectification here (``supervision/apps.py``), so citizens need not import it.
_BAD_RATING_HANDLERS: list[Callable[..., Any]] = []


def bad_rating_handler_register(function: Callable[..., Any]) -> None:
    """``function(rating=...)`` runs for every rating at or below the bad level, inside
    the transaction that writes it (once per function, however often registered)."""
    if function not in _BAD_RATING_HANDLERS:
        _BAD_RATING_HANDLERS.append(function)


def rating_create(
    *, case: Case, applicant: Applicant, level: int | str, comment: str = ""
) -> Rating:
    """The applicant rates their closed case on the five-level scale, once.

    The rating belongs to the case; the timeline records it with the departments
    that decided and the clerk who took the case in, so supervision can follow it
    back. Level 2 or below opens a rectification due in 15 working days.
    """
    if case.applicant_id != applicant.pk:
        raise RatingError(_("只能评价本人的办件。"))
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in RatingLevel.values:
        raise RatingError(_("请在1至5级中选择一个评价。"))
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise RatingError(
            _("意见最多%(limit)s个字，现在是%(length)s个字。")
            % {"limit": COMMENT_MAX_LENGTH, "length": len(comment)}
        )
    if level <= BAD_RATING_MAX_LEVEL and not comment:
        raise RatingError(_("不满意的评价请写明原因，便于我们整改。"))
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.state != CaseState.CLOSED:
            raise RatingError(_("办件办结后才能评价。"))
        if Rating.objects.filter(case=locked).exists():
            raise RatingError(_("该办件已经评价过，每个办件只能评价一次。"))
        try:
            with transaction.atomic():
                rating = Rating.objects.create(case=locked, level=level, comment=comment)
        except IntegrityError:
            raise RatingError(_("该办件已经评价过，每个办件只能评价一次。")) from None
        departments = sorted(
            set(Approval.objects.filter(case=locked).values_list("department__code", flat=True))
        )
        CaseEvent.objects.create(
            case=locked,
            kind=EventKind.NOTE,
            name="rate",
            actor_label="applicant",
            note=str(RatingLevel(level).label),
            data={
                "rating": rating.pk,
                "level": level,
                "departments": departments,
                "clerk": locked.created_by_id,
            },
            is_public=True,
        )
        if level <= BAD_RATING_MAX_LEVEL:
            for handler in _BAD_RATING_HANDLERS:
                handler(rating=rating)
    return rating
