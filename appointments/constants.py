"""The choices and the fixed numbers of appointments (预约)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppointmentState(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CANCELLED = "cancelled", _("已取消")
    CHECKED_IN = "checked_in", _("已签到")
    NO_SHOW = "no_show", _("爽约")


class AppointmentChannel(models.TextChoices):
    ONLINE = "online", _("网上预约")
    WINDOW = "window", _("窗口代约")
    AGENT = "agent", _("代办员代约")


# What a queue without a SlotRule offers: 30-minute slots of 4 people, 14 days ahead.
DEFAULT_SLOT_MINUTES = 30
DEFAULT_CAPACITY = 4
DEFAULT_DAYS_AHEAD = 14

# Check-in at the kiosk: from 30 minutes before the slot until 15 minutes after its start.
# Earlier, the person would wait longer with a priority ticket than without one; later, a
# priority ticket would jump people who came on time for the slots after.
CHECK_IN_OPENS_BEFORE = dt.timedelta(minutes=30)
CHECK_IN_CLOSES_AFTER_START = dt.timedelta(minutes=15)

# Appointment numbers: "YY" and six characters without the look-alikes 0/O, 1/I/L.
NUMBER_PREFIX = "YY"
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_RANDOM_LENGTH = 6
