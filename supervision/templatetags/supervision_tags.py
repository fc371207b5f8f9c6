from __future__ import annotations

from django import template

from departments.identifiers import mask_id_number

register = template.Library()


@register.filter
def masked_id(value: str) -> str:
    """Supervisors see who was read without the full ID number (least privilege)."""
    return mask_id_number(value or "")


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"
