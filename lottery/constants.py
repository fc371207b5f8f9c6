from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationState(models.TextChoices):
    SUBMITTED = "SUBMITTED", _("已提交，待核验")
    PENDING_REGISTRY = "PENDING_REGISTRY", _("共享数据库暂不可用，待核验")
    ELIGIBLE = "ELIGIBLE", _("审核通过")
    INELIGIBLE = "INELIGIBLE", _("审核未通过")
    APPEALED = "APPEALED", _("已申请复核")
    WON = "WON", _("中签")
    NOT_WON = "NOT_WON", _("未中签")


# States a verification run still has to decide.
UNFINISHED_STATES = (ApplicationState.SUBMITTED, ApplicationState.PENDING_REGISTRY)


class Channel(models.TextChoices):
    ONLINE = "online", _("网上申请")
    WINDOW = "window", _("窗口申请")
    AGENT = "agent", _("代办员代办")
