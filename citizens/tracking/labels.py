"""Every label a public view uses, in one language, looked up in a plain dict.

Both answers take their wording from here: the document path of ``track_lookup`` reads
the dict per request, and the API's statement (``statements._answer_sql``) inlines it.
"""

from __future__ import annotations

import functools
from typing import Any

from django.utils.translation import gettext as _

from cases.constants import (
    EVENT_LABELS,
    TRANSITION_LABELS,
    ApprovalState,
    CaseState,
    CourierCompany,
    DeliveryStatus,
)

from ..constants import EXPLANATION_OF_SITUATION, Stage
from ..selectors import _event_label


@functools.lru_cache(maxsize=16)
def _labels(language: str) -> dict[str, Any]:
    """Every label a public view uses, in ``language`` (the active one when first asked):
    a lookup in a plain dict instead of a gettext call per label per request. The
    wording is the ORM path's own (the same choices, ``STATE_EXPLANATION``,
    ``selectors._event_label``)."""

    def choices(enum: Any) -> dict[str, str]:
        return {value: str(label) for value, label in enum.choices}

    event_names = [*TRANSITION_LABELS, *EVENT_LABELS]
    return {
        "case_state": choices(CaseState),
        "approval_state": choices(ApprovalState),
        "courier": choices(CourierCompany),
        "delivery_status": choices(DeliveryStatus),
        "stage": {stage.value: str(stage.label) for stage in Stage},
        "explanation": {key: str(text) for key, text in EXPLANATION_OF_SITUATION.items()},
        "event": {name: _event_label(_Event(name)) for name in event_names},  # type: ignore[arg-type]
        "pending_what_to_do": _("请登录「我的办件」在线上传，或一次带齐到综合窗口提交。"),
        "supplement_what_to_do": _("请登录「我的办件」在线上传补正材料，无需到现场。"),
    }


class _Event:
    """Just enough of a CaseEvent for ``selectors._event_label`` (one wording for both paths)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name
