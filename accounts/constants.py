from django.db import models
from django.utils.translation import gettext_lazy as _


class UnlockChannel(models.TextChoices):
    ADMIN = "admin", _("后台管理")
    COMMAND = "command", _("管理命令")


# How many recovery codes a staff member gets at a time (each works once).
RECOVERY_CODE_COUNT = 10
