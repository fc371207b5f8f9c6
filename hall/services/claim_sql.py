""" "Call next" on PostgreSQL in one statement: choose, claim and log the next ticket.

Why plain SQL: the ORM spends four statements and a transaction on a call — the centre's
priority rule, the candidate ``FOR UPDATE SKIP LOCKED``, the claiming UPDATE and the
display's ``Call`` row, between ``BEGIN`` and ``COMMIT`` — and under 50 windows calling
at once each round trip and each compiled queryset is time a clerk waits (``bench/
hall.py``). Here one parameterised statement does all of it, in autocommit: the rule is
read in it, the candidate is locked (``SKIP LOCKED``: a ticket another window is calling
this instant is passed over, never waited for) and updated, the ``Call`` row inserted
from what the UPDATE returned, and the called ticket comes back with its queue. Table and
column names come from the models' ``_meta``.

The ORM's path (``hall.services.calling``, the embedded default's) orders by the same
rule; ``tests/hall/test_claim_sql.py`` checks on PostgreSQL that both call the same
tickets in the same order and write the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from cases.selectors.rows import Joined, statement
from centres.models import Queue, ServiceWindow

from ..constants import DEFAULT_PRIORITY_ORDER, TicketState
from ..models import Call, HallRule, Ticket

# What the statement returns: the called ticket, its queue joined.
_CALLED = Joined(Ticket, "claimed", related={"queue": Joined(Queue, "queue")})


def _write(connection: Any) -> str:
    quote = connection.ops.quote_name
    ticket = Ticket._meta
    rule = HallRule._meta
    queue = Queue._meta
    window_queues = ServiceWindow.queues.through._meta
    call = Call._meta

    def column(meta: Any, name: str) -> str:
        return quote(meta.get_field(name).column)

    columns = _CALLED.columns(connection)
    return f"""
WITH rule AS (
    SELECT ARRAY(SELECT jsonb_array_elements_text(COALESCE(
        (SELECT r.{column(rule, "priority_order")} FROM {quote(rule.db_table)} r
          WHERE r.{column(rule, "centre")} = %(centre)s),
        %(default_order)s::jsonb))) AS kinds
), candidate AS (
    SELECT t.{column(ticket, "id")} AS id
      FROM {quote(ticket.db_table)} t CROSS JOIN rule
     WHERE t.{column(ticket, "queue")} IN (
               SELECT wq.{column(window_queues, "queue")}
                 FROM {quote(window_queues.db_table)} wq
                 JOIN {quote(queue.db_table)} q
                   ON q.{column(queue, "id")} = wq.{column(window_queues, "queue")}
                WHERE wq.{column(window_queues, "servicewindow")} = %(window)s
                  AND q.{column(queue, "is_active")})
       AND t.{column(ticket, "day")} = %(day)s
       AND t.{column(ticket, "state")} = %(waiting)s
     ORDER BY COALESCE(array_position(rule.kinds, t.{column(ticket, "priority")}::text),
                       cardinality(rule.kinds) + 1),
              t.{column(ticket, "taken_at")}, t.{column(ticket, "id")}
     LIMIT 1
     FOR UPDATE OF t SKIP LOCKED
), claimed AS (
    UPDATE {quote(ticket.db_table)} t
       SET {column(ticket, "state")} = %(called)s,
           {column(ticket, "window")} = %(window)s,
           {column(ticket, "called_by")} = %(called_by)s,
           {column(ticket, "call_count")} = t.{column(ticket, "call_count")} + 1,
           {column(ticket, "first_called_at")} = %(now)s,
           {column(ticket, "last_called_at")} = %(now)s,
           {column(ticket, "wait_seconds")} = GREATEST(0, FLOOR(EXTRACT(EPOCH FROM
               (%(now)s - t.{column(ticket, "taken_at")}))))::integer
      FROM candidate
     WHERE t.{column(ticket, "id")} = candidate.id
 RETURNING t.*
), logged AS (
    INSERT INTO {quote(call.db_table)}
           ({column(call, "ticket")}, {column(call, "window")}, {column(call, "centre")},
            {column(call, "at")})
    SELECT {column(ticket, "id")}, {column(ticket, "window")}, {column(ticket, "centre")},
           {column(ticket, "last_called_at")}
      FROM claimed
)
SELECT {columns}
  FROM claimed
  JOIN {quote(queue.db_table)} queue
    ON queue.{column(queue, "id")} = claimed.{column(ticket, "queue")}
"""


def ticket_claim_next(
    *,
    window: ServiceWindow,
    called_by: Any,
    day: dt.date,
    now: dt.datetime,
    using: str = DEFAULT_DB_ALIAS,
) -> Ticket | None:
    """The next waiting ticket of ``window``'s active queues on ``day``, in the centre's
    calling order, called to ``window`` by ``called_by`` (a user or None) at ``now`` and
    logged for the display — or None when nobody waits. PostgreSQL only."""
    connection = connections[using]
    params = {
        "centre": window.centre_id,
        "default_order": json.dumps(list(DEFAULT_PRIORITY_ORDER)),
        "window": window.pk,
        "day": day,
        "waiting": TicketState.WAITING,
        "called": TicketState.CALLED,
        "called_by": called_by.pk if called_by is not None else None,
        "now": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(statement(connection, "hall:claim_next", _write), params)
        rows = cursor.fetchall()
    if not rows:
        return None
    (ticket,) = _CALLED.instances(rows, connection=connection)
    ticket.window = window
    ticket.called_by = called_by
    return ticket
