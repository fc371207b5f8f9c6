"""The demo's cases (``load_demo --cases N``): a day at the service centre, through the
real services.

Each demo case follows one story of ``departments.demo.cases`` — intake at the window,
online or by a village agent, acceptance and dispatch, the departments' checks and
decisions, issuance, hand-out at the window or by courier, the rating — and every step
is the service the pages, the API and the tasks call, so the rows are the ones the real
flow writes: events in the audit chain, the data-access log, outbox jobs, certificates
with their signed PDFs, parcels, visits, ratings and rectifications.

The n-th demo case is keyed ``demo:<n>`` (the case's idempotency key): loading again
adds only the cases not there yet, and the same N adds nothing. Who applies is drawn
from the synthetic population the demo registries hold (``departments.demo.people``),
the same people for the same N on every machine, names with rare characters first.

Clocks: every row is written when the load runs. A few stories need approvals whose
time has run (amber, overdue); for those, ``age:DAYS`` moves the case's acceptance and
its approvals' start and due dates back by working days — business dates only: the
audit trail keeps the times its rows were written, and says that the dates were moved.

What the applicants do themselves (upload online, answer a supplement, rate) belongs to
the citizens' app, above this one: its services are handed in as a ``CitizenDoor``.

One module per part: ``subjects`` (who applies), ``staff`` (who works), ``story`` (one
case through its story), ``backdate`` (the ``age:DAYS`` step), ``scan`` (the scanned
PDF); ``base`` holds what they share.
"""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.utils import translation

from departments.demo import cases as stories

from ...constants import CaseState
from ...models import Job
from ..sla import approvals_colour_sla
from .backdate import case_backdate
from .base import (
    DEMO_KEY_PREFIX,
    CitizenDoor,
    DemoCasesError,
    DemoCasesResult,
    demo_case_key,
    demo_cases,
    demo_story,
)
from .staff import DemoStaff
from .story import StoryRun
from .subjects import demo_subjects

__all__ = [
    "DEMO_KEY_PREFIX",
    "CitizenDoor",
    "DemoCasesError",
    "DemoCasesResult",
    "case_backdate",
    "demo_case_key",
    "demo_cases",
    "demo_cases_load",
    "demo_story",
]


def demo_cases_load(*, count: int, citizen: CitizenDoor) -> DemoCasesResult:
    """Make sure demo cases ``demo:0`` … ``demo:<count - 1>`` exist, each having gone
    through its story; the ones already there are left as they are. Then the SLA colours
    are brought up to date, as the periodic task would. The notes the steps write are in
    the site's language, whatever language the command runs in."""
    if count < 0:
        raise DemoCasesError("--cases takes a number of cases, 0 or more.")
    unknown = [story.key for story in stories.STORIES if story.state not in CaseState.values]
    if unknown:
        raise DemoCasesError(f"Demo stories ending in no known state: {', '.join(unknown)}.")
    result = DemoCasesResult()
    existing = set(demo_cases().values_list("idempotency_key", flat=True))
    subjects = demo_subjects(count)
    staff = DemoStaff.load()
    first_job = Job.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with translation.override(settings.LANGUAGE_CODE):
        for index in range(count):
            if demo_case_key(index) in existing:
                result.existing += 1
                continue
            StoryRun(
                index=index,
                story=demo_story(index),
                subject=subjects[index],
                staff=staff,
                citizen=citizen,
                first_job=first_job,
            ).run()
            result.created += 1
        result.sla = approvals_colour_sla()
    result.states = Counter(demo_cases().values_list("state", flat=True))
    return result
