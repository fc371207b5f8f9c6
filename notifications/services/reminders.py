"""The daily reminders: certificates about to expire, supplement deadlines, appointments.

Each is one set-based query for what is due, one for the people's preferences and one
``bulk_create`` of the notifications; the key (the certificate and its last day, the
approval and its request time, the appointment and its slot) makes a second run of the
same day, or of the next day inside the catch-up window, create nothing new. The window
(``NOTIFICATIONS_REMINDER_CATCH_UP_DAYS``) lets a reminder skipped on its day (beat was
down) still go out a little late rather than never.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from appointments.constants import AppointmentState
from appointments.models import Appointment
from cases.constants import ApprovalState, CertificateStatus
from cases.models import Approval
from certificates.models import Certificate
from departments.models import MaterialType

from ..constants import NotificationKind
from ..models import Notification
from .events import LIST_SEPARATOR, supplement_deadline
from .messages import case_context, notifications_build, preferences_of, public_url
from .sending import notifications_store


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def reminders_certificate_expiring(*, today: dt.date, now: dt.datetime | None = None) -> int:
    """Holders of valid certificates whose last day is ``NOTIFICATIONS_EXPIRY_NOTICE_DAYS``
    away are told to renew online. Returns the notifications created."""
    now = now or timezone.now()
    last_day = today + dt.timedelta(days=settings.NOTIFICATIONS_EXPIRY_NOTICE_DAYS)
    first_day = last_day - dt.timedelta(days=settings.NOTIFICATIONS_REMINDER_CATCH_UP_DAYS)
    certificates = list(
        Certificate.objects.filter(
            status=CertificateStatus.VALID,
            valid_until__gte=max(first_day, today),
            valid_until__lte=last_day,
        ).select_related("holder", "certificate_type")
    )
    preferences = preferences_of(certificate.holder_id for certificate in certificates)
    renew_url = public_url(reverse("citizens:me_certificates"))
    rows: list[Notification] = []
    for certificate in certificates:
        rows += notifications_build(
            applicant=certificate.holder,
            preference=preferences.get(certificate.holder_id),
            kind=NotificationKind.CERTIFICATE_EXPIRING,
            event_key=f"expiry:{certificate.pk}:{certificate.valid_until.isoformat()}",
            context={
                "certificate": certificate.certificate_type.name,
                "number": certificate.number,
                "valid_until": certificate.valid_until.isoformat(),
                "days": (certificate.valid_until - today).days,
                "renew_url": renew_url,
            },
            now=now,
        )
    with transaction.atomic():
        return notifications_store(rows=rows, job_key=f"notifications.send:expiry:{today}")


def reminders_supplement_deadline(*, today: dt.date, now: dt.datetime | None = None) -> int:
    """Applicants asked for a supplement whose deadline is
    ``NOTIFICATIONS_SUPPLEMENT_REMINDER_DAYS`` away (or nearer, within the catch-up
    window) and who have not handed it in yet are reminded."""
    now = now or timezone.now()
    remind_before = settings.NOTIFICATIONS_SUPPLEMENT_REMINDER_DAYS
    # The deadline is the request's day plus NOTIFICATIONS_SUPPLEMENT_DAYS: requests of
    # these days have their deadline inside [today, today + remind_before].
    latest = today + dt.timedelta(days=remind_before - settings.NOTIFICATIONS_SUPPLEMENT_DAYS)
    earliest = max(
        latest - dt.timedelta(days=settings.NOTIFICATIONS_REMINDER_CATCH_UP_DAYS),
        today - dt.timedelta(days=settings.NOTIFICATIONS_SUPPLEMENT_DAYS),
    )
    approvals = list(
        Approval.objects.filter(
            state=ApprovalState.SUPPLEMENT_REQUESTED,
            suspended_at__gte=_local_midnight(earliest),
            suspended_at__lt=_local_midnight(latest + dt.timedelta(days=1)),
        ).select_related("case__applicant", "item")
    )
    codes = {code for approval in approvals for code in approval.supplement_materials or []}
    names = dict(MaterialType.objects.filter(code__in=codes).values_list("code", "name"))
    preferences = preferences_of(approval.case.applicant_id for approval in approvals)
    rows: list[Notification] = []
    for approval in approvals:
        case = approval.case
        requested = timezone.localtime(approval.suspended_at).isoformat(timespec="seconds")
        rows += notifications_build(
            applicant=case.applicant,
            preference=preferences.get(case.applicant_id),
            kind=NotificationKind.SUPPLEMENT_DEADLINE,
            event_key=f"supplement_deadline:{approval.pk}:{requested}",
            context={
                **case_context(case),
                "item": approval.item.name,
                "materials": LIST_SEPARATOR.join(
                    names.get(code, code) for code in approval.supplement_materials or []
                ),
                "deadline": supplement_deadline(approval.suspended_at).isoformat(),
            },
            now=now,
            case=case,
        )
    with transaction.atomic():
        return notifications_store(rows=rows, job_key=f"notifications.send:supplement:{today}")


def reminders_appointments_tomorrow(*, today: dt.date, now: dt.datetime | None = None) -> int:
    """Everyone with an appointment booked for tomorrow is reminded of it."""
    now = now or timezone.now()
    appointments = list(
        Appointment.objects.filter(
            state=AppointmentState.BOOKED, day=today + dt.timedelta(days=1)
        ).select_related("applicant", "centre", "queue")
    )
    preferences = preferences_of(appointment.applicant_id for appointment in appointments)
    rows: list[Notification] = []
    for appointment in appointments:
        rows += notifications_build(
            applicant=appointment.applicant,
            preference=preferences.get(appointment.applicant_id),
            kind=NotificationKind.APPOINTMENT_REMINDER,
            event_key=f"appointment:{appointment.pk}:{appointment.day}T{appointment.start}",
            context={
                "number": appointment.number,
                "day": appointment.day.isoformat(),
                "start": appointment.start.strftime("%H:%M"),
                "end": appointment.end.strftime("%H:%M"),
                "centre": appointment.centre.name,
                "queue": appointment.queue.name,
                "masked_id_number": appointment.masked_id_number,
            },
            now=now,
            phone=appointment.phone,
        )
    with transaction.atomic():
        return notifications_store(rows=rows, job_key=f"notifications.send:appointments:{today}")


def reminders_daily(*, today: dt.date | None = None) -> dict[str, int]:
    """The three daily scans; each is safe to run again the same day."""
    today = today or timezone.localdate()
    return {
        NotificationKind.CERTIFICATE_EXPIRING: reminders_certificate_expiring(today=today),
        NotificationKind.SUPPLEMENT_DEADLINE: reminders_supplement_deadline(today=today),
        NotificationKind.APPOINTMENT_REMINDER: reminders_appointments_tomorrow(today=today),
    }
