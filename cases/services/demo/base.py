"""What the demo cases' parts share: the demo keys, the error, the citizens' door that
``load_demo`` hands in, the load's result, and which story the n-th demo case follows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from departments.demo import cases as stories

from ...exceptions import CaseError
from ...models import Case

DEMO_KEY_PREFIX = "demo:"


class DemoCasesError(CaseError):
    """The demo cases cannot be loaded as their stories say; the message says which and why."""


@dataclass(frozen=True)
class CitizenDoor:
    """The citizens' app's services (``citizens.services``), handed in by ``load_demo``."""

    upload: Callable[..., Any]  # apply.online_material_upload
    submit: Callable[..., Any]  # apply.online_application_submit
    answer_supplement: Callable[..., Any]  # supplement.supplement_material_upload
    rate: Callable[..., Any]  # rating.rating_create
    # The fee paid online (payments.services.demo.payment_demo_pay).
    pay: Callable[..., Any] | None = None


@dataclass
class DemoCasesResult:
    created: int = 0
    existing: int = 0
    states: Counter[str] = field(default_factory=Counter)
    sla: dict[str, int] = field(default_factory=dict)


def demo_case_key(index: int) -> str:
    return f"{DEMO_KEY_PREFIX}{index}"


def demo_story(index: int) -> stories.DemoStory:
    return stories.STORIES[index % len(stories.STORIES)]


def demo_cases() -> Any:
    """Every demo case (a queryset)."""
    return Case.objects.filter(idempotency_key__startswith=DEMO_KEY_PREFIX)
