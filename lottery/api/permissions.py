"""Who may use the lottery's staff endpoints: the lottery officer runs rounds, window
clerks and village agents take applications in for people who do not apply online."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from departments.constants import Role
from departments.roles import has_role, user_role

from ..constants import Channel


class IsLotteryOfficer(BasePermission):
    message = _("只有指标摇号管理人员可以执行此操作。")

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, Role.LOTTERY_OFFICER)


class IsLotteryIntakeStaff(BasePermission):
    message = _("只有窗口人员或代办员可以代为提交摇号申请。")

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, Role.CLERK, Role.AGENT)


def intake_channel(user: Any) -> str:
    """The channel an application taken in by ``user`` came through: a village agent's
    is ``agent``, a clerk's (or an administrator's) ``window``."""
    return (
        Channel.AGENT if user_role(user) == Role.AGENT and not user.is_superuser else Channel.WINDOW
    )
