"""The scanner of case events: what happened to a case becomes what the person is told.

``CaseEvent`` is the append-only log of every transition, with increasing ids. The
scanner keeps its place in ``NotificationCursor``; each batch is one query for the
events after it, a fixed handful of queries for what the messages name (items,
materials, reasons, certificates, preferences), one ``bulk_create`` of the
notifications (a repeated key is dropped by the database), and the cursor moved — all
in one transaction, so a scan that fails changes nothing and a scan run twice creates
nothing twice.

Why the settle time: an event's id is drawn when it is inserted, but the row is seen
only once its transaction commits, so a slow transaction could commit an event with a
lower id after the scanner passed it. The scanner reads only events written more than
``NOTIFICATIONS_EVENT_SETTLE_SECONDS`` ago; the case services' transactions are far
shorter than that.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.constants import ApprovalState, CaseState, CourierCompany
from cases.models import Approval, Case, CaseEvent
from certificates.models import Certificate
from departments.models import MaterialType

from ..constants import CASE_EVENTS_CURSOR, NotificationKind
from ..models import Notification, NotificationCursor
from .messages import case_context, notifications_build, preferences_of
from .sending import notifications_store

LIST_SEPARATOR = "、"

# A case transition's name → what the person is told about it.
CASE_EVENT_KINDS = {
    "accept": NotificationKind.CASE_ACCEPTED,
    "request_materials": NotificationKind.MATERIALS_MISSING,
    "refuse": NotificationKind.CASE_REFUSED,
    "issue": NotificationKind.CERTIFICATE_ISSUED,
    "ship": NotificationKind.PARCEL_SHIPPED,
    "deliver": NotificationKind.PARCEL_DELIVERED,
}


def event_kinds(event: CaseEvent) -> list[str]:
    """What ``event`` tells its case's applicant (often nothing: most events are inner steps)."""
    if event.case_id is None or event.certificate_id is not None:
        return []
    if event.approval_id is not None:
        return [NotificationKind.SUPPLEMENT_REQUESTED] if event.name == "request_supplement" else []
    kinds = []
    if event.name in CASE_EVENT_KINDS:
        kinds.append(CASE_EVENT_KINDS[event.name])
    elif event.name == "conclude":
        approved = event.to_state == CaseState.APPROVED
        kinds.append(NotificationKind.CASE_APPROVED if approved else NotificationKind.CASE_DENIED)
    if event.to_state == CaseState.CLOSED:
        kinds.append(NotificationKind.RATING_INVITATION)
    return kinds


def supplement_deadline(requested_at: dt.datetime) -> dt.date:
    """The last day to hand in a supplement asked for at ``requested_at``."""
    days = settings.NOTIFICATIONS_SUPPLEMENT_DAYS
    return timezone.localtime(requested_at).date() + dt.timedelta(days=days)


@dataclass
class _Lookups:
    """What a batch's messages name, read once for the whole batch."""

    items: dict[int, list[str]] = field(default_factory=dict)
    material_names: dict[str, str] = field(default_factory=dict)
    denial_reasons: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    certificates: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))


def _lookups(wanted: list[tuple[CaseEvent, str]]) -> _Lookups:
    """A fixed number of queries, whatever the batch holds (none for what it does not need)."""
    found = _Lookups()
    case_ids = {event.case_id for event, _kind in wanted}
    kinds = {kind for _event, kind in wanted}
    through = Case.items.through.objects.filter(case_id__in=case_ids).select_related("serviceitem")
    items: dict[int, list[str]] = defaultdict(list)
    for row in through.order_by("serviceitem__code"):
        items[row.case_id].append(row.serviceitem.name)
    found.items = items
    codes = {
        code
        for event, kind in wanted
        if kind in (NotificationKind.MATERIALS_MISSING, NotificationKind.SUPPLEMENT_REQUESTED)
        for code in event.data.get("missing", []) + event.data.get("materials", [])
    }
    if codes:
        found.material_names = dict(
            MaterialType.objects.filter(code__in=codes).values_list("code", "name")
        )
    denied = {event.case_id for event, kind in wanted if kind == NotificationKind.CASE_DENIED}
    if denied:
        rejected = Approval.objects.filter(case_id__in=denied, state=ApprovalState.REJECTED)
        for approval in rejected.select_related("item").order_by("id"):
            found.denial_reasons[approval.case_id].append(
                f"{approval.item.name}：{approval.decision_note}"
            )
    if NotificationKind.CERTIFICATE_ISSUED in kinds:
        issued = {e.case_id for e, k in wanted if k == NotificationKind.CERTIFICATE_ISSUED}
        certificates = Certificate.objects.filter(case_id__in=issued).select_related(
            "certificate_type"
        )
        for certificate in certificates.order_by("id"):
            found.certificates[certificate.case_id].append(
                f"{certificate.certificate_type.name}（{certificate.number}）"
            )
    return found


def _missing_materials(event: CaseEvent, lookups: _Lookups) -> str:
    entries = event.data.get("entries") or []
    if entries:
        names = [entry.get("name") or entry.get("material_type", "") for entry in entries]
    else:
        codes = event.data.get("missing", [])
        names = [lookups.material_names.get(code, code) for code in codes]
    return LIST_SEPARATOR.join(names)


def _event_context(event: CaseEvent, kind: str, lookups: _Lookups) -> dict[str, Any]:
    """The names and numbers the message of ``kind`` about ``event`` shows."""
    case = event.case
    context: dict[str, Any] = {
        **case_context(case),
        "items": LIST_SEPARATOR.join(lookups.items.get(case.pk, [])),
    }
    data = event.data or {}
    if kind == NotificationKind.CASE_ACCEPTED:
        context["due_date"] = case.due_date.isoformat() if case.due_date else ""
    elif kind == NotificationKind.MATERIALS_MISSING:
        context["materials"] = _missing_materials(event, lookups)
    elif kind == NotificationKind.CASE_REFUSED:
        context["reason"] = event.note or case.refusal_reason
    elif kind == NotificationKind.SUPPLEMENT_REQUESTED:
        codes = data.get("materials", [])
        context["materials"] = LIST_SEPARATOR.join(
            lookups.material_names.get(code, code) for code in codes
        )
        context["item"] = event.approval.item.name
        context["reason"] = event.note
        context["deadline"] = supplement_deadline(event.created_at).isoformat()
    elif kind == NotificationKind.CASE_DENIED:
        context["reasons"] = "；".join(lookups.denial_reasons.get(case.pk, [])) or _("详见办件记录")
    elif kind == NotificationKind.CERTIFICATE_ISSUED:
        context["certificates"] = LIST_SEPARATOR.join(lookups.certificates.get(case.pk, []))
    elif kind in (NotificationKind.PARCEL_SHIPPED, NotificationKind.PARCEL_DELIVERED):
        courier = data.get("courier", "")
        context["courier"] = str(dict(CourierCompany.choices).get(courier, courier))
        context["waybill"] = data.get("waybill", "")
    return context


def _events_after(position: int, *, now: dt.datetime, limit: int) -> list[CaseEvent]:
    settled = now - dt.timedelta(seconds=settings.NOTIFICATIONS_EVENT_SETTLE_SECONDS)
    return list(
        CaseEvent.objects.filter(pk__gt=position, created_at__lte=settled)
        .select_related("case__applicant", "approval__item")
        .order_by("pk")[:limit]
    )


def _cursor_locked() -> NotificationCursor:
    """The scanner's cursor row, created at the first scan and locked until commit: two
    scans take turns, the second starting where the first stopped."""
    NotificationCursor.objects.get_or_create(name=CASE_EVENTS_CURSOR)
    return NotificationCursor.objects.select_for_update().get(name=CASE_EVENTS_CURSOR)


def _notifications_of(events: list[CaseEvent], *, now: dt.datetime) -> list[Notification]:
    wanted = [(event, kind) for event in events for kind in event_kinds(event)]
    if not wanted:
        return []
    lookups = _lookups(wanted)
    preferences = preferences_of(event.case.applicant_id for event, _kind in wanted)
    rows = []
    for event, kind in wanted:
        applicant = event.case.applicant
        rows += notifications_build(
            applicant=applicant,
            preference=preferences.get(applicant.pk),
            kind=kind,
            event_key=f"event:{event.pk}:{kind}",
            context=_event_context(event, kind, lookups),
            now=now,
            case=event.case,
        )
    return rows


def notifications_scan_events_batch(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Read one batch of events past the cursor and create their notifications.

    Returns (events read, notifications created); (0, 0) when nothing new has settled."""
    now = now or timezone.now()
    with transaction.atomic():
        cursor = _cursor_locked()
        events = _events_after(cursor.position, now=now, limit=settings.NOTIFICATIONS_BATCH_SIZE)
        if not events:
            return 0, 0
        position = events[-1].pk
        created = notifications_store(
            rows=_notifications_of(events, now=now),
            job_key=f"notifications.send:{CASE_EVENTS_CURSOR}:{position}",
        )
        cursor.position = position
        cursor.save(update_fields=["position", "updated_at"])
    return len(events), created


def notifications_scan_events(*, now: dt.datetime | None = None, max_batches: int = 100) -> int:
    """Scan until caught up (or ``max_batches`` batches); returns the notifications created."""
    created = 0
    for _batch in range(max_batches):
        read, new = notifications_scan_events_batch(now=now)
        created += new
        if read < settings.NOTIFICATIONS_BATCH_SIZE:
            break
    return created
