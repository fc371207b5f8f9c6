"""Rectification of bad ratings (差评整改): open, call back, close."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Rating
from cases.workdays import add_working_days

from ..constants import RECTIFICATION_WORKING_DAYS, UNSATISFIED_MAX_LEVEL, RectificationState
from ..models import Rectification, RectificationCallback


class RectificationError(Exception):
    """A rectification request that cannot be carried out; the message says why."""


def rectification_open_for_rating(*, rating: Rating) -> Rectification:
    """An unsatisfied rating opens one rectification task, due in 15 working days.

    Called by the rating service for every rating at level 2 or below; calling it
    again for the same rating returns the task already open.
    """
    if rating.level > UNSATISFIED_MAX_LEVEL:
        raise RectificationError(
            _("只有「不满意」及以下的评价需要整改；此评价为%(level)s级。") % {"level": rating.level}
        )
    existing = Rectification.objects.filter(rating=rating).first()
    if existing is not None:
        return existing
    rated_on = timezone.localtime(rating.created_at).date()
    try:
        with transaction.atomic():
            return Rectification.objects.create(
                rating=rating, due_date=add_working_days(rated_on, RECTIFICATION_WORKING_DAYS)
            )
    except IntegrityError:
        # Opened concurrently by another call: the unique rating makes it one task.
        return Rectification.objects.get(rating=rating)


def rectification_record_callback(
    *, rectification: Rectification, actor: Any, note: str, is_applicant_satisfied: bool
) -> RectificationCallback:
    """Record one call back to the applicant; an open task becomes 「已回访」."""
    note = note.strip()
    if not note:
        raise RectificationError(_("请填写回访记录。"))
    with transaction.atomic():
        locked = Rectification.objects.select_for_update().get(pk=rectification.pk)
        if locked.state == RectificationState.CLOSED:
            raise RectificationError(_("该整改已办结，不能再记录回访。"))
        callback = RectificationCallback.objects.create(
            rectification=locked,
            called_by=actor,
            note=note,
            is_applicant_satisfied=is_applicant_satisfied,
        )
        if locked.state == RectificationState.OPEN:
            Rectification.objects.filter(pk=locked.pk).update(state=RectificationState.CALLED_BACK)
    return callback


def rectification_close(*, rectification: Rectification, actor: Any, note: str) -> Rectification:
    """Close the task with what was done; only after the applicant was called back."""
    note = note.strip()
    if not note:
        raise RectificationError(_("请填写整改结果。"))
    with transaction.atomic():
        locked = Rectification.objects.select_for_update().get(pk=rectification.pk)
        if locked.state == RectificationState.CLOSED:
            raise RectificationError(_("该整改已办结。"))
        if not locked.callbacks.exists():
            raise RectificationError(_("办结前必须先回访申请人。"))
        locked.state = RectificationState.CLOSED
        locked.closing_note = note
        locked.closed_at = timezone.now()
        locked.closed_by = actor
        locked.save(update_fields=["state", "closing_note", "closed_at", "closed_by"])
    return locked
