"""The no-show sweep: an appointment still booked once its check-in has closed is a
no-show. One UPDATE for all of them (``check_in_until`` is stored, so the comparison is
indexed and needs no time arithmetic in SQL); safe to run any number of times."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ..constants import AppointmentState
from ..models import Appointment


def appointments_mark_no_shows(*, day: dt.date, now: dt.datetime | None = None) -> int:
    """Mark as no-shows the booked appointments of ``day`` and of the days before it
    whose check-in closed by ``now``; how many were marked."""
    now = now or timezone.now()
    return Appointment.objects.filter(
        state=AppointmentState.BOOKED, day__lte=day, check_in_until__lte=now
    ).update(state=AppointmentState.NO_SHOW)
