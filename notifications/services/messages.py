"""Turning what happened into messages: the texts, and one row per channel the person wants.

Texts are Django templates per kind and channel (``notifications/sms/<kind>.txt``,
``notifications/email/<kind>.txt`` and ``<kind>_subject.txt``), rendered in Chinese
whatever language the process happens to have active. The context carries masked
names only: a message may be read by whoever holds the phone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from cases.models import Applicant, Case

from ..constants import NotificationChannel
from ..models import Notification, NotificationPreference
from .schedule import sms_not_before

MESSAGE_LANGUAGE = "zh-hans"
SUBJECT_MAX_LENGTH = 200


def public_url(path: str) -> str:
    """The address people can open from a message (``PUBLIC_BASE_URL`` + path)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def case_context(case: Case) -> dict[str, Any]:
    """What every case's message may name: the number and where to follow it."""
    return {
        "tracking_no": case.tracking_no,
        "tracking_url": public_url(reverse("citizens:track_number", args=[case.tracking_no])),
        "case_url": public_url(reverse("citizens:me_case", args=[case.tracking_no])),
    }


def message_render(*, kind: str, channel: str, context: dict[str, Any]) -> tuple[str, str]:
    """The (subject, body) of a message; the subject is empty for an SMS."""
    with translation.override(MESSAGE_LANGUAGE):
        body = render_to_string(f"notifications/{channel}/{kind}.txt", context).strip()
        subject = ""
        if channel == NotificationChannel.EMAIL:
            subject = " ".join(
                render_to_string(f"notifications/email/{kind}_subject.txt", context).split()
            )[:SUBJECT_MAX_LENGTH]
    return subject, body


def preferences_of(applicant_ids: Iterable[int]) -> dict[int, NotificationPreference]:
    """The preferences of these applicants (one query), by applicant id."""
    return {
        preference.applicant_id: preference
        for preference in NotificationPreference.objects.filter(applicant_id__in=set(applicant_ids))
    }


def notifications_build(
    *,
    applicant: Applicant,
    preference: NotificationPreference | None,
    kind: str,
    event_key: str,
    context: dict[str, Any],
    now: dt.datetime,
    case: Case | None = None,
    phone: str = "",
) -> list[Notification]:
    """The unsaved notifications of one event for one person: an SMS unless switched
    off (held until the quiet hours end), an e-mail if switched on with an address."""
    context = {"name": applicant.masked_name, **context}
    rows = []
    phone = phone or applicant.phone
    if phone and (preference is None or preference.sms_enabled):
        subject, body = message_render(kind=kind, channel=NotificationChannel.SMS, context=context)
        rows.append(
            Notification(
                event_key=event_key,
                applicant=applicant,
                channel=NotificationChannel.SMS,
                kind=kind,
                case=case,
                recipient=phone,
                body=body,
                created_at=now,
                next_attempt_at=sms_not_before(now),
            )
        )
    if preference is not None and preference.email_enabled and preference.email:
        subject, body = message_render(
            kind=kind, channel=NotificationChannel.EMAIL, context=context
        )
        rows.append(
            Notification(
                event_key=event_key,
                applicant=applicant,
                channel=NotificationChannel.EMAIL,
                kind=kind,
                case=case,
                recipient=preference.email,
                subject=subject,
                body=body,
                created_at=now,
                next_attempt_at=now,
            )
        )
    return rows
