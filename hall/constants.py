"""The hall's fixed words: ticket priorities and states, and the numbers the rules use."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketPriority(models.TextChoices):
    """Who goes before the ordinary ticket (the centre's ``HallRule`` says in which order)."""

    NONE = "none", _("普通")
    ELDERLY = "elderly", _("老年人")
    DISABLED = "disabled", _("残疾人")
    APPOINTMENT = "appointment", _("预约")


class TicketState(models.TextChoices):
    WAITING = "waiting", _("等候中")
    CALLED = "called", _("已叫号")
    SERVING = "serving", _("办理中")
    DONE = "done", _("已办结")
    NO_SHOW = "no_show", _("过号")
    TRANSFERRED = "transferred", _("已转队列")
    CANCELLED = "cancelled", _("已取消")


# A ticket in one of these states still holds the person's place in the queue: one such
# ticket per person, queue and day.
OPEN_STATES: tuple[str, ...] = (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING)

# The order of a centre without its own rule: appointments, then disabled people, then
# elderly people, then everyone else.
DEFAULT_PRIORITY_ORDER: tuple[str, ...] = (
    TicketPriority.APPOINTMENT,
    TicketPriority.DISABLED,
    TicketPriority.ELDERLY,
    TicketPriority.NONE,
)

# A called ticket may be marked as no-show only after this many calls (the first and two
# recalls): the person may be in the restroom or at another window.
NO_SHOW_AFTER_CALLS = 3

# The estimated service time of a ticket before any ticket of the queue is done today.
DEFAULT_SERVICE_MINUTES = 6.0

# The number printed on a ticket: the queue's letter and three digits (A017).
SEQUENCE_DIGITS = 3
