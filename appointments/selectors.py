"""Reads of appointments: a person's own, a centre's day, and no-shows per person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, QuerySet

from cases.models import Applicant
from centres.models import Centre, Queue
from centres.scope import centre_in_scope, centres_in_scope

from .constants import AppointmentState
from .models import Appointment


def applicant_appointments(*, applicant: Applicant) -> QuerySet[Appointment]:
    """The person's appointments, the coming ones first."""
    return (
        Appointment.objects.filter(applicant=applicant)
        .select_related("centre", "queue")
        .order_by("-day", "-start")
    )


def applicant_appointment_get(*, applicant: Applicant, number: str) -> Appointment | None:
    return Appointment.objects.filter(applicant=applicant, number=number).first()


def applicant_no_show_count(*, applicant: Applicant) -> int:
    """How many appointments the person did not come to, ever."""
    return Appointment.objects.filter(applicant=applicant, state=AppointmentState.NO_SHOW).count()


def no_show_counts(*, applicant_ids: Iterable[int]) -> dict[int, int]:
    """``applicant id → no-shows`` for many people in one query (missing: none)."""
    rows = (
        Appointment.objects.filter(
            applicant_id__in=list(applicant_ids), state=AppointmentState.NO_SHOW
        )
        .values("applicant_id")
        .annotate(count=Count("id"))
    )
    return {row["applicant_id"]: row["count"] for row in rows}


def bookable_centres() -> QuerySet[Centre]:
    """Where anyone may book: every active centre, top of the tree first."""
    return Centre.objects.filter(is_active=True).order_by("path")


def bookable_queues(*, centre: Centre) -> QuerySet[Queue]:
    return Queue.objects.filter(centre=centre, is_active=True).order_by("code")


def window_centres(*, user: Any) -> QuerySet[Centre]:
    """The centres a clerk or agent may book at and list: theirs and those below."""
    return centres_in_scope(user)


def window_centre_get(*, user: Any, code: str) -> Centre | None:
    """The centre ``code`` names if it lies in the user's scope (else None: as unknown)."""
    centre = Centre.objects.filter(code=code, is_active=True).first()
    return centre if centre is not None and centre_in_scope(user, centre) else None


def centre_day_appointments(*, centre: Centre, day: dt.date) -> list[Appointment]:
    """The centre's appointments of ``day`` in slot order, each with ``no_shows`` (the
    person's no-show count): two queries whatever the number of rows."""
    appointments = list(
        Appointment.objects.filter(centre=centre, day=day)
        .select_related("queue", "applicant", "booked_by")
        .order_by("start", "queue__code", "id")
    )
    counts = no_show_counts(
        applicant_ids={appointment.applicant_id for appointment in appointments}
    )
    for appointment in appointments:
        appointment.no_shows = counts.get(appointment.applicant_id, 0)  # type: ignore[attr-defined]
    return appointments
