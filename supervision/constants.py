from django.db import models
from django.utils.translation import gettext_lazy as _

# Working days a department has to rectify after a bad rating (差评整改).
RECTIFICATION_WORKING_DAYS = 15
# Ratings at or below this level open a rectification task.
UNSATISFIED_MAX_LEVEL = 2


class RectificationState(models.TextChoices):
    OPEN = "open", _("待整改")
    CALLED_BACK = "called_back", _("已回访")
    CLOSED = "closed", _("已办结")
