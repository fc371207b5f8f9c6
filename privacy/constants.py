from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("进行中")
    SUCCESS = "success", _("已完成")
    FAILED = "failed", _("失败")


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("定时任务")
    COMMAND = "command", _("管理命令")
