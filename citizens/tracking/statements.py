"""The SQL text of the two PostgreSQL statements, byte for byte what psycopg prepares.

``TRACK_SQL`` builds ``track_lookup``'s JSON document; ``_answer_sql`` builds, per
language and time zone, the statement of ``track_answer_json`` (throttle check and the
API's final JSON), from the small builders above it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json

from cases.constants import (
    ApplicantKind,
    ApprovalState,
    CaseState,
    CertificateStatus,
    MaterialStatus,
)

from ..constants import (
    RESULT_WAITING_STATES,
    SITUATION_CAME_BACK,
    SITUATION_READY,
    STAGE_OF_SITUATION,
    Stage,
)
from ..models import TrackFailure
from ..selectors import DELIVERY_CAME_BACK_STATUSES
from .labels import _labels

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
