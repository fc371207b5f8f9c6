"""The public tracking read (``/track/`` and ``GET /api/v1/track/<no>/``), made cheap.

``track_lookup`` answers "tracking number + last four characters of the ID number" with
the case's public view (``selectors.case_public_view``'s shape), or ``None``.

On PostgreSQL it is **one query**: the case row, the suffix check and every public part
of the answer (items, public timeline, what is missing, the parcel, the certificates) are
built by the database as one JSON document, so a lookup costs one round trip and no ORM
query compilation (the ORM path costs six queries and most of the request's CPU time).
Every other database (the embedded SQLite) takes the portable ORM path; both give the
same answer, which a test checks for a case in every state.

A wrong suffix and an unknown number take the very same single query and both get no
row: the suffix is compared inside the query, so neither the answer nor the number of
round trips tells them apart.

The API goes one step further on PostgreSQL (``track_answer_json``): one statement per
language checks the client's tracking throttle and writes the API's final JSON, so the
row's text is the response body. Both run through Django's cursor wrapper on a psycopg
``RawCursor``, and psycopg prepares them on the server (``_fetch_one``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cases.constants import (
    EVENT_LABELS,
    TRANSITION_LABELS,
    ApplicantKind,
    ApprovalState,
    CaseState,
    CertificateStatus,
    CourierCompany,
    DeliveryStatus,
    MaterialStatus,
)
from certificates.selectors import certificate_effective_status
from departments.identifiers import mask_name

from .constants import (
    EXPLANATION_OF_SITUATION,
    RESULT_WAITING_STATES,
    SITUATION_CAME_BACK,
    SITUATION_READY,
    STAGE_OF_SITUATION,
    Stage,
)
from .models import TrackFailure
from .selectors import (
    DELIVERY_CAME_BACK_STATUSES,
    ID_SUFFIX_PATTERN,
    TRACKING_NO_PATTERN,
    _event_label,
    case_for_tracking,
    case_public_situation,
    case_public_view,
    tracking_no_clean,
)
from .throttles import track_target

# The whole public answer in one statement. Every sub-select is driven by an index on
# case_id; COALESCE evaluates the case's own item list only when it has no approvals yet
# (the ORM path's rule). Orders match the ORM path's order_by() exactly.
TRACK_SQL = f"""
SELECT json_build_object(
    'tracking_no', c.tracking_no,
    'state', c.state,
    'due_date', c.due_date,
    'applicant_kind', a.kind,
    'applicant_name', a.name,
    'items', COALESCE(
        (SELECT json_agg(json_build_array(i.code, i.name, d.name, ap.state, ap.due_date)
                         ORDER BY ap.id)
           FROM cases_approval ap
           JOIN departments_serviceitem i ON i.id = ap.item_id
           JOIN departments_department d ON d.id = ap.department_id
          WHERE ap.case_id = c.id),
        (SELECT json_agg(json_build_array(i.code, i.name, d.name, NULL, c.due_date)
                         ORDER BY i.code)
           FROM cases_case_items ci
           JOIN departments_serviceitem i ON i.id = ci.serviceitem_id
           JOIN departments_department d ON d.id = i.department_id
          WHERE ci.case_id = c.id)),
    'timeline',
        (SELECT json_agg(json_build_array(e.created_at, e.name, COALESCE(i.name, ''), e.note)
                         ORDER BY e.created_at, e.id)
           FROM cases_caseevent e
           LEFT JOIN cases_approval ap ON ap.id = e.approval_id
           LEFT JOIN departments_serviceitem i ON i.id = ap.item_id
          WHERE e.case_id = c.id AND e.is_public),
    'missing', CASE WHEN c.state = '{CaseState.PENDING_MATERIALS}' THEN
        (SELECT json_agg(json_build_array(mt.code, mt.name) ORDER BY m.id)
           FROM cases_casematerial m
           JOIN departments_materialtype mt ON mt.id = m.material_type_id
          WHERE m.case_id = c.id AND m.status = '{MaterialStatus.MISSING}') END,
    'supplements',
        (SELECT json_agg(json_build_array(x.code, COALESCE(mt.name, x.code), i.name, d.name,
                                          ap.decision_note)
                         ORDER BY ap.id, x.position)
           FROM cases_approval ap
           JOIN departments_serviceitem i ON i.id = ap.item_id
           JOIN departments_department d ON d.id = ap.department_id
           CROSS JOIN LATERAL jsonb_array_elements_text(
               CASE WHEN jsonb_typeof(ap.supplement_materials) = 'array'
                    THEN ap.supplement_materials ELSE '[]'::jsonb END
           ) WITH ORDINALITY AS x(code, position)
           LEFT JOIN departments_materialtype mt ON mt.code = x.code
          WHERE ap.case_id = c.id AND ap.state = '{ApprovalState.SUPPLEMENT_REQUESTED}'),
    'delivery',
        (SELECT json_build_array(dl.courier, dl.waybill, dl.status, dl.delivered_at)
           FROM cases_delivery dl
          WHERE dl.case_id = c.id
          ORDER BY dl.created_at DESC, dl.id DESC
          LIMIT 1),
    'certificates',
        (SELECT json_agg(json_build_array(ce.number, ct.name, ce.status, ce.valid_until,
                                          ce.verification_token)
                         ORDER BY ce.issued_at, ce.id)
           FROM certificates_certificate ce
           JOIN departments_certificatetype ct ON ct.id = ce.certificate_type_id
          WHERE ce.case_id = c.id),
    'unsigned_certificates', EXISTS
        (SELECT 1 FROM certificates_certificate ce
          WHERE ce.case_id = c.id AND ce.status = '{CertificateStatus.VALID}'
            AND ce.pdf_sha256 = '')
)::text
FROM cases_case c
JOIN cases_applicant a ON a.id = c.applicant_id
WHERE c.tracking_no = $1 AND upper(right(a.id_number, 4)) = $2
"""


def track_lookup(*, tracking_no: str, id_suffix: str) -> dict[str, Any] | None:
    """The public view of the case if the number exists *and* the ID number ends with
    the suffix; else None (unknown, wrong suffix and malformed input alike)."""
    database = connections[DEFAULT_DB_ALIAS]  # the proxy's every attribute is a lookup
    if database.vendor != "postgresql":
        case = case_for_tracking(tracking_no=tracking_no, id_suffix=id_suffix)
        return case_public_view(case=case) if case is not None else None
    tracking_no = tracking_no_clean(tracking_no)
    id_suffix = (id_suffix or "").strip().upper()
    if not TRACKING_NO_PATTERN.match(tracking_no) or not ID_SUFFIX_PATTERN.match(id_suffix):
        tracking_no = ""  # still query, for the same timing; matches nothing
    row = _fetch_one(TRACK_SQL, [tracking_no, id_suffix])
    return _public_view_from_document(json.loads(row[0])) if row is not None else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _datetime(value: str | None) -> dt.datetime | None:
    # json_build_object writes timestamptz as ISO 8601 with the connection's UTC offset.
    return dt.datetime.fromisoformat(value) if value else None


@functools.lru_cache(maxsize=16)
def _labels(language: str) -> dict[str, Any]:
    """Every label a public view uses, in ``language`` (the active one when first asked):
    a lookup in a plain dict instead of a gettext call per label per request. The
    wording is the ORM path's own (the same choices, ``STATE_EXPLANATION``,
    ``selectors._event_label``)."""

    def choices(enum: Any) -> dict[str, str]:
        return {value: str(label) for value, label in enum.choices}

    event_names = [*TRANSITION_LABELS, *EVENT_LABELS]
    return {
        "case_state": choices(CaseState),
        "approval_state": choices(ApprovalState),
        "courier": choices(CourierCompany),
        "delivery_status": choices(DeliveryStatus),
        "stage": {stage.value: str(stage.label) for stage in Stage},
        "explanation": {key: str(text) for key, text in EXPLANATION_OF_SITUATION.items()},
        "event": {name: _event_label(_Event(name)) for name in event_names},  # type: ignore[arg-type]
        "pending_what_to_do": _("请登录「我的办件」在线上传，或一次带齐到综合窗口提交。"),
        "supplement_what_to_do": _("请登录「我的办件」在线上传补正材料，无需到现场。"),
    }


def _public_view_from_document(document: dict[str, Any]) -> dict[str, Any]:
    """The database's JSON document turned into ``case_public_view``'s exact shape."""
    labels = _labels(get_language() or settings.LANGUAGE_CODE)
    state = document["state"]
    delivery = document["delivery"]
    situation = case_public_situation(
        state=state,
        has_unsigned_certificate=document["unsigned_certificates"],
        last_delivery_status=delivery[2] if delivery else None,
    )
    stage = STAGE_OF_SITUATION.get(situation, Stage.RECEIVED)
    name = document["applicant_name"]
    missing: list[dict[str, Any]] = [
        {
            "material_type": code,
            "name": material_name,
            "item": "",
            "department": "",
            "reason": "",
            "what_to_do": labels["pending_what_to_do"],
        }
        for code, material_name in document["missing"] or ()
    ]
    missing.extend(
        {
            "material_type": code,
            "name": material_name,
            "item": item,
            "department": department,
            "reason": reason,
            "what_to_do": labels["supplement_what_to_do"],
        }
        for code, material_name, item, department, reason in document["supplements"] or ()
    )
    events = labels["event"]
    return {
        "tracking_no": document["tracking_no"],
        "state": state,
        "state_display": labels["case_state"].get(state, state),
        "stage": stage.value,
        "stage_display": labels["stage"][stage.value],
        "explanation": labels["explanation"].get(situation, ""),
        "applicant_masked": mask_name(name)
        if document["applicant_kind"] == ApplicantKind.PERSON
        else name,
        "due_date": _date(document["due_date"]),
        "items": [
            {
                "code": code,
                "name": item_name,
                "department": department,
                "approval_state": approval_state,
                "approval_state_display": labels["approval_state"].get(
                    approval_state, approval_state
                )
                if approval_state
                else "",
                "due_date": _date(due_date),
            }
            for code, item_name, department, approval_state, due_date in document["items"] or ()
        ],
        "timeline": [
            {
                "at": _datetime(at),
                "event": events.get(event) or _event_label(_Event(event)),  # type: ignore[arg-type]
                "item": item,
                "note": note,
            }
            for at, event, item, note in document["timeline"] or ()
        ],
        "missing": missing,
        "delivery": (
            {
                "courier": delivery[0],
                "courier_display": labels["courier"].get(delivery[0], delivery[0]),
                "waybill": delivery[1],
                "status": delivery[2],
                "status_display": labels["delivery_status"].get(delivery[2], delivery[2]),
                "delivered_at": _datetime(delivery[3]),
            }
            if delivery
            else None
        ),
        "certificates": [
            {
                "number": number,
                "type": type_name,
                "status": _certificate_status(status, _date(valid_until)),
                "verify_path": _verify_path(get_script_prefix()).replace(_TOKEN, token),
            }
            for number, type_name, status, valid_until, token in document["certificates"] or ()
        ],
    }


_TOKEN = "0TOKEN0"  # stands for a verification token (URL-safe: reverse() leaves it as is)


def verify_path_template() -> str:
    """A certificate's verify path with ``_TOKEN`` in place of its token."""
    return _verify_path(get_script_prefix())


@functools.lru_cache(maxsize=8)
def _verify_path(script_prefix: str) -> str:
    """The verification URL with ``_TOKEN`` in place of the token, once per script
    prefix (the active one when first asked): ``reverse()`` per certificate was a
    visible share of a lookup's CPU time."""
    return reverse("certificates:verify", args=[_TOKEN])


class _Event:
    """Just enough of a CaseEvent for ``selectors._event_label`` (one wording for both paths)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Certificate:
    __slots__ = ("status", "valid_until")

    def __init__(self, status: str, valid_until: dt.date | None) -> None:
        self.status = status
        self.valid_until = valid_until


def _certificate_status(status: str, valid_until: dt.date | None) -> str:
    return str(
        certificate_effective_status(certificate=_Certificate(status, valid_until))  # type: ignore[arg-type]
    )


# --- The API's answer, written by the database --------------------------------------------
#
# ``GET /api/v1/track/<no>/`` answers with ``TrackSerializer``'s JSON. On PostgreSQL the
# database writes that JSON itself, labels and all, in the request's language: one
# statement per language (and time zone), prepared once per connection, with the labels
# inlined as constant jsonb maps. Python then neither decodes, transforms nor encodes
# anything: the row's bytes are the response body. Same rows, same order, same formats
# as ``track_lookup`` followed by ``api.views.track_answer`` (a test compares them with
# the serializer's contract for a case in every state, in both languages).


def _literal(value: str) -> str:
    """A SQL string literal (standard_conforming_strings is on: only ' needs doubling)."""
    return "'" + str(value).replace("'", "''") + "'"


def _label(expression: str, labels: dict[str, str], default: str) -> str:
    """The label of ``expression``'s value, from a constant jsonb map of ``labels``
    (``default`` when the value has none, or is NULL). A prepared statement keeps the
    map parsed in its plan, and a lookup is one step at run time; a ``CASE`` with a
    ``WHEN`` per value was compiled into PostgreSQL's executor, step by step, on every
    execution (about a tenth of the statement's CPU time)."""
    if not labels:
        return default
    document = json.dumps(labels, ensure_ascii=False, sort_keys=True)
    return f"COALESCE({_literal(document)}::jsonb ->> ({expression}), {default})"


def _iso_datetime(expression: str, zone: str) -> str:
    """DRF's DateTimeField format for a timestamptz: ISO 8601 in ``zone``, microseconds
    only when not zero, ``Z`` for a zero offset (Python's ``isoformat()``), each part
    computed once: the only "." is the fraction's, and to_char writes a negative
    interval with its "-"; offsets with seconds (local mean time, before 1901) are
    written without them."""
    local = f"({expression} AT TIME ZONE {_literal(zone)})"
    offset = f"({local} - ({expression} AT TIME ZONE 'UTC'))"
    return (
        f"replace(to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '')"
        f" || replace(replace('+' || to_char({offset}, 'HH24:MI'), '+-', '-'), '+00:00', 'Z')"
    )


def _situation_sql() -> str:
    """``selectors.case_public_situation`` in SQL, for the case ``c``: its state, or for a
    result waiting at the window ``<state>:came_back`` (the last parcel came back) or
    ``<state>:ready`` (no valid certificate of the case is still without its signed PDF)."""
    waiting = ", ".join(_literal(state) for state in RESULT_WAITING_STATES)
    came_back = ", ".join(_literal(status) for status in DELIVERY_CAME_BACK_STATUSES)
    return f"""c.state || CASE WHEN c.state IN ({waiting}) THEN CASE
        WHEN (SELECT dl.status FROM cases_delivery dl WHERE dl.case_id = c.id
               ORDER BY dl.created_at DESC, dl.id DESC LIMIT 1) IN ({came_back})
        THEN {_literal(":" + SITUATION_CAME_BACK)}
        WHEN EXISTS (SELECT 1 FROM certificates_certificate ce
                      WHERE ce.case_id = c.id AND ce.status = {_literal(CertificateStatus.VALID)}
                        AND ce.pdf_sha256 = '')
        THEN ''
        ELSE {_literal(":" + SITUATION_READY)} END ELSE '' END"""


@functools.lru_cache(maxsize=16)
def _answer_sql(language: str, zone: dt.tzinfo) -> str:
    """The whole API answer as JSON text, in ``language`` and time zone ``zone``
    (a tzinfo, as keying by its name would cost a name lookup per request).
    Parameters: $1 tracking number, $2 ID suffix, $3 and $4 what goes before and after
    a verification token in a certificate's verify URL, $5 and $6 the client's throttle
    key and limit, $7 and $8 the case's."""
    from django.utils import translation

    with translation.override(language):
        labels = _labels(language)
        stage_of_situation = {key: stage.value for key, stage in STAGE_OF_SITUATION.items()}
        stage_label = {
            key: labels["stage"][stage.value] for key, stage in STAGE_OF_SITUATION.items()
        }
    received = Stage.RECEIVED.value
    state_display = _label("c.state", labels["case_state"], "c.state")
    approval_display = _label("ap.state", labels["approval_state"], "ap.state")
    event = _label("e.name", labels["event"], "e.name")
    courier = _label("dl.courier", labels["courier"], "dl.courier")
    delivery_status = _label("dl.status", labels["delivery_status"], "dl.status")
    name = "a.name"
    masked = (
        f"CASE WHEN a.kind <> {_literal(ApplicantKind.PERSON)} OR char_length({name}) <= 1"
        f" THEN {name} WHEN char_length({name}) = 2 THEN left({name}, 1) || '*'"
        f" ELSE left({name}, 1) || repeat('*', char_length({name}) - 2) || right({name}, 1) END"
    )
    zone_name = zone.tzname(None) or str(zone)  # as timezone.get_current_timezone_name()
    today = f"(now() AT TIME ZONE {_literal(zone_name)})::date"
    # The catalogue rows (items, departments, material and certificate types) are read
    # by primary key, row by row, in scalar sub-selects: joined, the planner hashed the
    # whole (small) tables on every execution, which cost more than the probes.
    item_name = "(SELECT i.name FROM departments_serviceitem i WHERE i.id = ap.item_id)"
    department_name = "(SELECT d.name FROM departments_department d WHERE d.id = ap.department_id)"
    return f"""
SELECT b.blocked, CASE WHEN b.blocked <> '' THEN NULL ELSE (
SELECT json_build_object(
    'tracking_no', c.tracking_no,
    'state', c.state,
    'state_display', {state_display},
    'stage', {_label("s.situation", stage_of_situation, _literal(received))},
    'stage_display', {_label("s.situation", stage_label, _literal(labels["stage"][received]))},
    'explanation', {_label("s.situation", labels["explanation"], "''")},
    'applicant_masked', {masked},
    'due_date', c.due_date,
    'items', COALESCE(
        (SELECT json_agg(
                    (SELECT json_build_object(
                        'code', i.code, 'name', i.name, 'department', {department_name},
                        'approval_state', ap.state,
                        'approval_state_display', {approval_display},
                        'due_date', ap.due_date)
                       FROM departments_serviceitem i WHERE i.id = ap.item_id)
                    ORDER BY ap.id)
           FROM cases_approval ap
          WHERE ap.case_id = c.id),
        (SELECT json_agg(json_build_object(
                    'code', i.code, 'name', i.name,
                    'department', (SELECT d.name FROM departments_department d
                                    WHERE d.id = i.department_id),
                    'approval_state', NULL, 'approval_state_display', '',
                    'due_date', c.due_date) ORDER BY i.code)
           FROM cases_case_items ci
           JOIN departments_serviceitem i ON i.id = ci.serviceitem_id
          WHERE ci.case_id = c.id),
        '[]'::json),
    'timeline', COALESCE(
        (SELECT json_agg(json_build_object(
                    'at', {_iso_datetime("e.created_at", zone_name)}, 'event', {event},
                    'item', CASE WHEN e.approval_id IS NULL THEN '' ELSE COALESCE(
                        (SELECT {item_name} FROM cases_approval ap
                          WHERE ap.id = e.approval_id), '') END,
                    'note', e.note)
                    ORDER BY e.created_at, e.id)
           FROM cases_caseevent e
          WHERE e.case_id = c.id AND e.is_public),
        '[]'::json),
    'missing', COALESCE(
        (SELECT json_agg(m.material ORDER BY m.part, m.k1, m.k2)
           FROM (SELECT 1 AS part, m.id AS k1, 0::bigint AS k2, json_build_object(
                        'material_type', mt.code, 'name', mt.name, 'item', '',
                        'department', '', 'reason', '',
                        'what_to_do', {_literal(labels["pending_what_to_do"])}) AS material
                   FROM cases_casematerial m
                   JOIN departments_materialtype mt ON mt.id = m.material_type_id
                  WHERE c.state = {_literal(CaseState.PENDING_MATERIALS)}
                    AND m.case_id = c.id AND m.status = {_literal(MaterialStatus.MISSING)}
                 UNION ALL
                 SELECT 2, ap.id, x.position, json_build_object(
                        'material_type', x.code,
                        'name', COALESCE((SELECT mt.name FROM departments_materialtype mt
                                           WHERE mt.code = x.code), x.code),
                        'item', {item_name}, 'department', {department_name},
                        'reason', ap.decision_note,
                        'what_to_do', {_literal(labels["supplement_what_to_do"])})
                   FROM cases_approval ap
                  CROSS JOIN LATERAL jsonb_array_elements_text(
                        CASE WHEN jsonb_typeof(ap.supplement_materials) = 'array'
                             THEN ap.supplement_materials ELSE '[]'::jsonb END
                  ) WITH ORDINALITY AS x(code, position)
                  WHERE ap.case_id = c.id
                    AND ap.state = {_literal(ApprovalState.SUPPLEMENT_REQUESTED)}) AS m),
        '[]'::json),
    'delivery',
        (SELECT json_build_object(
                    'courier', dl.courier, 'courier_display', {courier},
                    'waybill', dl.waybill, 'status', dl.status,
                    'status_display', {delivery_status},
                    'delivered_at', {_iso_datetime("dl.delivered_at", zone_name)})
           FROM cases_delivery dl
          WHERE dl.case_id = c.id
          ORDER BY dl.created_at DESC, dl.id DESC
          LIMIT 1),
    'certificates', COALESCE(
        (SELECT json_agg(json_build_object(
                    'number', ce.number,
                    'type', (SELECT ct.name FROM departments_certificatetype ct
                              WHERE ct.id = ce.certificate_type_id),
                    'status', CASE WHEN ce.status = {_literal(CertificateStatus.VALID)}
                                    AND ce.valid_until < {today}
                                   THEN {_literal(CertificateStatus.EXPIRED)}
                                   ELSE ce.status END,
                    'verify_url', $3::text || ce.verification_token || $4::text)
                    ORDER BY ce.issued_at, ce.id)
           FROM certificates_certificate ce
          WHERE ce.case_id = c.id),
        '[]'::json)
)::text
FROM cases_case c
JOIN cases_applicant a ON a.id = c.applicant_id
CROSS JOIN LATERAL (SELECT {_situation_sql()} AS situation) s
WHERE c.tracking_no = $1 AND upper(right(a.id_number, 4)) = $2
) END
FROM (SELECT CASE
    WHEN EXISTS (SELECT 1 FROM {TrackFailure._meta.db_table} f
                  WHERE f.client = $5 AND f.failures >= $6::integer AND f.window_ends > now())
    THEN 'client'
    WHEN EXISTS (SELECT 1 FROM {TrackFailure._meta.db_table} f
                  WHERE f.client = $7 AND f.failures >= $8::integer AND f.window_ends > now())
    THEN 'case'
    ELSE '' END
OFFSET 0) AS b(blocked)
"""


def track_answer_json(
    *,
    tracking_no: str,
    id_suffix: str,
    verify_url: str,
    client: str,
    failure_limit: int,
    case_failure_limit: int,
) -> tuple[str, bytes | None]:
    """PostgreSQL only: whether the tracking throttle blocks the request — ``"client"``
    when ``client`` has at least ``failure_limit`` failures in its current window,
    ``"case"`` when the case's own count of wrong suffixes (``track_target``) has at least
    ``case_failure_limit``, else ``""`` (``TrackFailure``) — and, if it does not, the
    API's answer (``TrackSerializer``'s JSON, UTF-8) for the case if the number exists
    *and* the ID number ends with the suffix, else None. One prepared statement, the same
    single query for an unknown number, a wrong suffix and malformed input; a blocked
    request's case is not even read. ``verify_url`` is a certificate's absolute verify
    URL with ``_TOKEN`` in place of the token."""
    tracking_no = tracking_no_clean(tracking_no)
    id_suffix = (id_suffix or "").strip().upper()
    if not TRACKING_NO_PATTERN.match(tracking_no) or not ID_SUFFIX_PATTERN.match(id_suffix):
        tracking_no = ""  # still query, for the same timing; matches nothing
    before, _token, after = verify_url.partition(_TOKEN)
    language = get_language() or settings.LANGUAGE_CODE
    row = _fetch_one(
        _answer_sql(language, timezone.get_current_timezone()),
        [
            tracking_no,
            id_suffix,
            before,
            after,
            client,
            str(failure_limit),
            track_target(tracking_no),
            str(case_failure_limit),
        ],
    )
    assert row is not None  # the statement always answers one row
    return row[0] or "", row[1].encode() if row[1] is not None else None


def _fetch_one(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    """The statement's first row, or None.

    Through a cursor of psycopg's public ``RawCursor`` class, on the connection Django
    opened and wrapped in Django's own cursor wrapper (``make_cursor``): Django's error
    translation and execute wrappers stay, and the query is logged when queries are. Why a raw cursor: the statement is written with
    PostgreSQL's own ``$n`` placeholders, so psycopg does not parse it for ``%s``
    (its parse cache keeps only statements under 4 KB, and these are longer: parsing
    them cost a tenth of a request's CPU). psycopg prepares it on the server once the
    connection has run it ``prepare_threshold`` times (``DATABASES`` ``OPTIONS``): from
    then on a lookup sends the statement's name and its parameters only."""
    from psycopg import RawCursor

    database = connections[DEFAULT_DB_ALIAS]
    database.ensure_connection()
    with database.make_cursor(RawCursor(database.connection)) as cursor:
        if not database.queries_logged:
            cursor.execute(sql, params)
            return cursor.fetchone()
        # Logged as Django's debug cursor logs a query (which cannot show this one: it
        # composes the SQL with %s placeholders, for display).
        started = time.monotonic()
        try:
            cursor.execute(sql, params)
            return cursor.fetchone()
        finally:
            duration = time.monotonic() - started
            database.queries_log.append({"sql": sql, "time": f"{duration:.3f}"})
