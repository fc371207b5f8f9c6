"""Calling (叫号) at a window: call next, recall, no-show, start, done, transfer.

Every change runs in one transaction on the ticket's locked row and is refused, with the
reason, from a state it does not apply to. A clerk acts only at the windows and on the
tickets of their own centre; any other answers as if it did not exist (``OutOfScopeError``,
404 on the pages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from cases.models import Case
from centres.models import Queue, ServiceWindow
from centres.scope import user_centre

from ..constants import NO_SHOW_AFTER_CALLS, TicketState
from ..exceptions import OutOfScopeError, TicketError
from ..models import Call, Ticket
from ..selectors import hall_priority_order, in_calling_order
from .claim_sql import ticket_claim_next
from .tickets import ticket_create

# On SQLite a claim lost to another window (possible only outside IMMEDIATE transactions)
# moves on to the next candidate; this many losses in a row is a hall far busier than any.
CLAIM_ATTEMPTS = 50


def _check_scope(user: Any, centre_id: int) -> None:
    centre = user_centre(user)
    if centre is not None and centre.pk != centre_id:
        raise OutOfScopeError(_("没有这个窗口或号码。"))


def _claim_changes(
    *, window: ServiceWindow, user: Any, taken_at: dt.datetime | None
) -> dict[str, Any]:
    """What calling a waiting ticket to ``window`` writes on it (the call count apart)."""
    now = timezone.now()
    wait = {"wait_seconds": max(0, int((now - taken_at).total_seconds()))} if taken_at else {}
    return {
        **wait,
        "state": TicketState.CALLED,
        "window": window,
        "called_by": user if getattr(user, "is_authenticated", False) else None,
        "first_called_at": now,
        "last_called_at": now,
    }


def ticket_claim(
    *, ticket_id: int, window: ServiceWindow, user: Any, taken_at: dt.datetime | None = None
) -> bool:
    """Compare-and-set: the ticket becomes called at ``window`` only if it is still
    waiting, in one conditional UPDATE. True when this caller won it; False (nothing
    changed) when another window called it first. With ``taken_at`` the wait (taken →
    first call) is kept in seconds for the hall statistics."""
    return _claim(ticket_id, _claim_changes(window=window, user=user, taken_at=taken_at))


def _claim(ticket_id: int, changes: dict[str, Any]) -> bool:
    won = Ticket.objects.filter(pk=ticket_id, state=TicketState.WAITING).update(
        **changes, call_count=F("call_count") + 1
    )
    return won == 1


def _call_log(ticket: Ticket, window: ServiceWindow) -> None:
    Call.objects.create(
        ticket=ticket, window=window, centre_id=ticket.centre_id, at=ticket.last_called_at
    )


def ticket_call_next(*, window: ServiceWindow, user: Any) -> Ticket | None:
    """The clerk presses "叫下一位": the first waiting ticket of the window's queues in
    calling order (the centre's priority rule, then who came first) is called to this
    window and appears on the display; None when nobody waits.

    Two windows never call the same ticket. On PostgreSQL one statement chooses, locks
    with ``FOR UPDATE SKIP LOCKED``, claims and logs the ticket (``claim_sql``): a ticket
    another window is calling at this instant is skipped, not waited for, so windows never
    queue behind each other. On SQLite, which has no row locks, the claim is a
    conditional UPDATE (``ticket_claim``) that changes one row only while the ticket is
    still waiting; a lost claim tries the next one."""
    _check_scope(user, window.centre_id)
    if not window.is_active:
        raise TicketError(_("%(window)s已停用。") % {"window": window})
    day = timezone.localdate()
    if connection.vendor == "postgresql":  # the statement is PostgreSQL's (jsonb, SKIP LOCKED)
        called_by = user if getattr(user, "is_authenticated", False) else None
        ticket = ticket_claim_next(window=window, called_by=called_by, day=day, now=timezone.now())
        if ticket is None:
            _explain_empty_hall(window)
        return ticket
    return _call_next_by_compare_and_set(window=window, user=user, day=day)


def _explain_empty_hall(window: ServiceWindow) -> None:
    """Nobody waits; or the window calls no queue at all, which is the administrator's to fix."""
    if not Queue.objects.filter(windows=window, is_active=True).exists():
        raise TicketError(_("%(window)s没有设置服务队列，请联系管理员。") % {"window": window})


def _call_next_by_compare_and_set(
    *, window: ServiceWindow, user: Any, day: dt.date
) -> Ticket | None:
    """Where there are no row locks (SQLite): the candidate in calling order, claimed with
    a conditional UPDATE; a claim lost to another window tries the next candidate."""
    order = hall_priority_order(centre=window.centre_id)
    queues = Queue.objects.filter(windows=window, is_active=True).values("pk")
    with transaction.atomic():
        for _attempt in range(CLAIM_ATTEMPTS):
            candidate = (
                in_calling_order(
                    Ticket.objects.filter(queue__in=queues, day=day, state=TicketState.WAITING),
                    order=order,
                )
                .only("pk", "taken_at")
                .first()
            )
            if candidate is None:
                _explain_empty_hall(window)
                return None
            if ticket_claim(
                ticket_id=candidate.pk, window=window, user=user, taken_at=candidate.taken_at
            ):
                ticket = Ticket.objects.select_related("queue", "window").get(pk=candidate.pk)
                _call_log(ticket, window)
                return ticket
    raise TicketError(_("叫号繁忙，请再按一次“叫下一位”。"))


def _refusal(ticket: Ticket, action: str) -> TicketError:
    return TicketError(
        _("号码 %(number)s 当前为“%(state)s”，不能%(action)s。")
        % {"number": ticket.number, "state": ticket.get_state_display(), "action": action}
    )


def _change(
    *,
    ticket: Ticket,
    user: Any,
    transition: str,
    action: str,
    check: Callable[[Ticket], None] | None = None,
) -> Ticket:
    """Lock the ticket, check the user's centre and the state, run the transition, save."""
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("queue", "window", "centre")
        .get(pk=ticket.pk)
    )
    _check_scope(user, locked.centre_id)
    method = getattr(locked, transition)
    if not can_proceed(method):
        raise _refusal(locked, action)
    if check is not None:
        check(locked)
    method()
    locked.save()
    return locked


def ticket_recall(*, ticket: Ticket, user: Any) -> Ticket:
    """The clerk calls the same number again (重呼): the display shows and says it again."""
    with transaction.atomic():
        locked = _change(ticket=ticket, user=user, transition="recall", action=_("重呼"))
        _call_log(locked, locked.window)
    return locked


def _enough_calls(ticket: Ticket) -> None:
    if ticket.call_count < NO_SHOW_AFTER_CALLS:
        raise TicketError(
            _("号码 %(number)s 已叫 %(count)d 次，叫满 %(needed)d 次仍未到才能记为过号，请先重呼。")
            % {"number": ticket.number, "count": ticket.call_count, "needed": NO_SHOW_AFTER_CALLS}
        )


def ticket_no_show(*, ticket: Ticket, user: Any) -> Ticket:
    """The person did not come after three calls (过号): the window is free again."""
    with transaction.atomic():
        return _change(
            ticket=ticket,
            user=user,
            transition="mark_no_show",
            action=_("记为过号"),
            check=_enough_calls,
        )


def ticket_start(*, ticket: Ticket, user: Any) -> Ticket:
    """The person is at the window: service time starts (it feeds the wait estimates)."""
    with transaction.atomic():
        return _change(ticket=ticket, user=user, transition="start", action=_("开始办理"))


def _check_cases(ticket: Ticket, cases: list[Case]) -> None:
    for case in cases:
        belongs = case.centre_id == ticket.centre_id or (
            case.centre_id is None and ticket.centre.parent_id is None
        )
        if not belongs:
            raise TicketError(
                _("办件 %(tracking_no)s 不是本中心受理的，不能关联到号码 %(number)s。")
                % {"tracking_no": case.tracking_no, "number": ticket.number}
            )


def ticket_done(*, ticket: Ticket, user: Any, cases: Iterable[Case] = ()) -> Ticket:
    """Service finished (办结): the ticket is linked to the case(s) the clerk served for
    the person (none for a mere enquiry); every case must be of the same centre."""
    cases = list(cases)
    with transaction.atomic():
        locked = _change(
            ticket=ticket,
            user=user,
            transition="finish",
            action=_("办结"),
            check=lambda locked: _check_cases(locked, cases),
        )
        locked.cases.add(*cases)
    return locked


def ticket_transfer(*, ticket: Ticket, queue: Queue, user: Any) -> Ticket:
    """The person needs another queue (转队列): this ticket ends as transferred and a new
    waiting ticket is taken for them in ``queue``, with a new number of that queue (the
    letter says which queue calls it) but the time of their first ticket, so they wait
    only behind those who came before them. Returns the new ticket."""
    with transaction.atomic():
        target = Queue.objects.select_related("centre").get(pk=queue.pk)

        def check(locked: Ticket) -> None:
            if target.centre_id != locked.centre_id:
                raise TicketError(_("只能转到本中心的队列。"))
            if target.pk == locked.queue_id:
                raise TicketError(_("号码 %(number)s 已在该队列。") % {"number": locked.number})
            if not target.is_active:
                raise TicketError(_("队列“%(queue)s”已停用。") % {"queue": target.name})

        locked = _change(
            ticket=ticket, user=user, transition="transfer", action=_("转队列"), check=check
        )
        return ticket_create(
            queue=target,
            day=locked.day,
            priority=locked.priority,
            id_number=locked.id_number,
            phone=locked.phone,
            appointment_number=locked.appointment_number,
            taken_at=locked.taken_at,
            transferred_from=locked,
        )
