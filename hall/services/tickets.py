"""Taking a ticket (取号) at the kiosk, on the phone or through the API.

The citizen chooses a queue and gets a number (A017), their place in the line and an
estimated wait (``hall.selectors.ticket_wait``). A refusal says why and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.selectors.rows import statement
from centres.hours import is_open_at
from centres.models import Queue
from departments.identifiers import normalise_identifier, validate_resident_id

from ..constants import OPEN_STATES, TicketPriority
from ..exceptions import TicketError
from ..models import Ticket, TicketCounter

PHONE_PATTERN = re.compile(r"^1\d{10}$")


def _counter_upsert(connection: Any) -> str:
    """``INSERT … ON CONFLICT … DO UPDATE … RETURNING`` on the counter row (PostgreSQL;
    SQLite 3.35+). Plain SQL because the ORM's upsert (``bulk_create`` with
    ``update_conflicts``) can only overwrite a column with the inserted value, not raise
    it, and returns nothing on SQLite."""
    meta = TicketCounter._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    queue, day, last = (
        quote(meta.get_field(name).column) for name in ("queue", "day", "last_sequence")
    )
    return (
        f"INSERT INTO {table} ({queue}, {day}, {last}) VALUES (%s, %s, 1) "
        f"ON CONFLICT ({queue}, {day}) DO UPDATE SET {last} = {table}.{last} + 1 "
        f"RETURNING {last}"
    )


def sequence_next(*, queue_id: int, day: dt.date) -> int:
    """The next sequence of the queue on that day, never given twice.

    One statement on the counter row of the queue and day (``ticket_counter_per_queue_day``
    makes it one): the day's first taker inserts it at 1, every later one raises it. The
    row's lock (PostgreSQL) or the database's write lock (SQLite) is held until the
    caller's transaction ends, so two takers are numbered one after the other and a
    rolled-back take gives its number back. Must run inside the caller's
    ``transaction.atomic()``."""
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(statement(connection, "hall:counter", _counter_upsert), [queue_id, day])
        (sequence,) = cursor.fetchone()
    return sequence


def _clean_priority(priority: str, appointment_number: str) -> str:
    if priority not in TicketPriority.values:
        raise TicketError(
            _("优先类别“%(priority)s”无效，应为：%(kinds)s。")
            % {"priority": priority, "kinds": "、".join(TicketPriority.values)}
        )
    if priority == TicketPriority.APPOINTMENT and not appointment_number:
        raise TicketError(_("预约优先号须填写预约号。"))
    return priority


def _clean_id_number(id_number: str) -> str:
    number = normalise_identifier(id_number) if id_number else ""
    if number:
        try:
            validate_resident_id(number)
        except ValidationError as error:
            raise TicketError(" ".join(error.messages)) from None
    return number


def _clean_phone(phone: str) -> str:
    phone = "".join(str(phone).split())
    if phone and not PHONE_PATTERN.match(phone):
        raise TicketError(_("手机号码应为以1开头的11位数字。"))
    return phone


def _check_queue_open(queue: Queue) -> None:
    centre = queue.centre
    if not queue.is_active or not centre.is_active:
        raise TicketError(_("队列“%(queue)s”已停用，请选择其他队列。") % {"queue": queue.name})
    if not is_open_at(centre.opening_hours, timezone.localtime()):
        raise TicketError(
            _("%(centre)s现在不在营业时间，请在营业时间内取号。") % {"centre": centre.name}
        )


def _open_ticket_of(*, queue_id: int, day: dt.date, id_number: str) -> Ticket | None:
    if not id_number:
        return None
    return Ticket.objects.filter(
        queue_id=queue_id, day=day, id_number=id_number, state__in=OPEN_STATES
    ).first()


def _already_taken(ticket: Ticket) -> TicketError:
    return TicketError(
        _("您今天在该队列已有未办结的号码 %(number)s，请等候叫号，不必重复取号。")
        % {"number": ticket.number}
    )


def ticket_create(
    *,
    queue: Queue,
    day: dt.date,
    priority: str,
    id_number: str,
    phone: str,
    appointment_number: str,
    taken_at: dt.datetime | None = None,
    transferred_from: Ticket | None = None,
) -> Ticket:
    """A numbered waiting ticket, inside the caller's transaction; the person's second
    open ticket for the queue is refused by the partial unique constraint even when two
    requests race past the check before it."""
    existing = _open_ticket_of(queue_id=queue.pk, day=day, id_number=id_number)
    if existing is not None:
        raise _already_taken(existing)
    sequence = sequence_next(queue_id=queue.pk, day=day)
    ticket = Ticket(
        centre_id=queue.centre_id,
        queue=queue,
        day=day,
        sequence=sequence,
        number=Ticket.number_for(queue.code, sequence),
        priority=priority,
        id_number=id_number,
        phone=phone,
        appointment_number=appointment_number,
        taken_at=taken_at or timezone.now(),
        transferred_from=transferred_from,
    )
    if not id_number:
        # Nothing but the person's open ticket can conflict (the sequence is ours alone
        # under the counter's lock): no savepoint is needed to recover from it.
        ticket.save(force_insert=True)
        return ticket
    try:
        with transaction.atomic():
            ticket.save(force_insert=True)
    except IntegrityError:
        existing = _open_ticket_of(queue_id=queue.pk, day=day, id_number=id_number)
        if existing is not None:
            raise _already_taken(existing) from None
        raise
    return ticket


def ticket_take(
    *,
    queue: Queue,
    priority: str = "none",
    id_number: str = "",
    phone: str = "",
    appointment_number: str = "",
) -> Ticket:
    """The citizen takes a number for ``queue``: refused while the queue is inactive or
    the centre closed, for a bad priority, ID or phone number, and when the same person
    already holds an open ticket of that queue today."""
    appointment_number = str(appointment_number).strip()
    priority = _clean_priority(str(priority), appointment_number)
    id_number = _clean_id_number(id_number)
    phone = _clean_phone(phone)
    queue = Queue.objects.select_related("centre").get(pk=queue.pk)
    _check_queue_open(queue)
    with transaction.atomic():
        return ticket_create(
            queue=queue,
            day=timezone.localdate(),
            priority=priority,
            id_number=id_number,
            phone=phone,
            appointment_number=appointment_number,
        )
