from __future__ import annotations

from typing import Any

from django import template

from cases.events import event_label, event_states
from departments.identifiers import mask_id_number

register = template.Library()


@register.filter
def masked_id(value: str) -> str:
    """Supervisors see who was read without the full ID number (least privilege)."""
    return mask_id_number(value or "")


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


@register.filter(name="event_label")
def event_label_filter(event: Any) -> str:
    """The event as people read it (「转人工审查」), not its code name."""
    return event_label(event.name)


@register.filter(name="event_states")
def event_states_filter(event: Any) -> str:
    """The states the event moved between, in words (「自动核验中 → 审查中」)."""
    return event_states(event)
