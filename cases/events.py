"""Case events as people read them: the event's name and its states in words.

``CaseEvent.name`` is the transition or action as the code calls it (``start_review``)
and its states are the raw values (``PENDING``); the audit trail keeps them so. Every
page that shows an event — the admin, supervision, the citizen's timeline — shows
these labels instead: 「转人工审查（自动核验中 → 审查中）」.
"""

from __future__ import annotations

from typing import Any

from .constants import (
    EVENT_LABELS,
    TRANSITION_LABELS,
    ApprovalState,
    CaseState,
    CertificateStatus,
    EventKind,
    SlaColour,
)


def event_label(name: str) -> str:
    """What an event of this name is called (the name itself when it has no label)."""
    label = TRANSITION_LABELS.get(name) or EVENT_LABELS.get(name)
    return str(label) if label is not None else name


def _state_labels(event: Any) -> dict[str, str]:
    """The labels of the states the event moved between: a colour, a certificate's,
    an approval's or the case's own (the row the transition ran on)."""
    if event.kind == EventKind.SLA:
        choices = SlaColour.choices
    elif event.certificate_id is not None:
        choices = CertificateStatus.choices
    elif event.approval_id is not None:
        choices = ApprovalState.choices
    else:
        choices = CaseState.choices
    return {value: str(label) for value, label in choices}


def event_states(event: Any) -> str:
    """「自动核验中 → 审查中」, 「→ 草稿」 for a start, or "" when no state changed."""
    if not event.from_state and not event.to_state:
        return ""
    labels = _state_labels(event)
    before = labels.get(event.from_state, event.from_state)
    after = labels.get(event.to_state, event.to_state)
    return f"{before} → {after}" if before else f"→ {after}"


def event_summary(event: Any) -> str:
    """「转人工审查（自动核验中 → 审查中）」: the label, and the states in words if any."""
    states = event_states(event)
    label = event_label(event.name)
    return f"{label}（{states}）" if states else label
