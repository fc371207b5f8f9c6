"""The demo logins: one per role, one clerk per centre and supervisor per county, one
reviewer per department and ``admin``, all with the public demo password."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractBaseUser, Group

from centres.constants import CentreLevel
from centres.models import Centre
from centres.services import network_demo_load
from departments.constants import Role
from departments.models import Department, StaffProfile

from .base import CATALOGUE_PATH, DemoDataError
from .groups import ROLE_GROUPS, groups_demo_load

# The window clerks' own department, if the catalogue has one (first match wins).
WINDOW_DEPARTMENT_KEYWORDS = ("行政审批", "政务服务")
# The car-quota round's organiser (市交通委员会 in the demo catalogue): the lottery
# officer's department, and the one whose agreements the round reads with.
TRANSPORT_DEPARTMENT_CODE = "R"

# username, role, last name, first name
ROLE_LOGINS: tuple[tuple[str, str, str, str], ...] = (
    ("clerk", Role.CLERK, "王", "晓芳"),
    ("agent", Role.AGENT, "赵", "德明"),
    ("supervisor", Role.SUPERVISOR, "周", "正清"),
    ("lottery_officer", Role.LOTTERY_OFFICER, "孙", "立行"),
)
# Where the role logins work: the clerk and the supervisor at the city centre (they see
# the whole network), the village agent at 古井村's point.
ROLE_CENTRES = {"clerk": "BZ", "supervisor": "BZ", "agent": "QCGJGJ"}
ADMIN_LOGIN = ("admin", "演示", "管理员")
REVIEWER_SURNAMES = (
    "李张刘陈杨黄吴徐孙胡郭何高林罗郑梁谢宋唐韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕"
)
REVIEWER_GIVEN_NAMES = (
    "建华", "丽娟", "志强", "海燕", "国庆", "秀兰", "文博", "晓梅",
    "永红", "春燕", "德胜", "慧敏", "立新", "雪梅", "明辉", "玉洁",
)  # fmt: skip


class _DemoPassword:
    """Hashes the demo password once and checks each distinct stored hash once.

    Every demo login has the same public password, so one hash serves them all;
    hashing it forty times over would make the load slow for nothing.
    """

    def __init__(self, password: str) -> None:
        self.password = password
        self._encoded: str | None = None
        self._matches: dict[str, bool] = {}

    def encoded(self) -> str:
        if self._encoded is None:
            self._encoded = make_password(self.password)
        return self._encoded

    def matches(self, encoded: str) -> bool:
        if encoded not in self._matches:
            needs_rehash = False

            def note_rehash(_raw_password: str) -> None:
                nonlocal needs_rehash
                needs_rehash = True

            is_correct = bool(encoded) and check_password(
                self.password, encoded, setter=note_rehash
            )
            self._matches[encoded] = is_correct and not needs_rehash
        return self._matches[encoded]


def logins_demo_load() -> dict[str, int]:
    groups = groups_demo_load()
    password = _DemoPassword(settings.DEMO_PASSWORD)
    window_department = _window_department()
    network_demo_load()
    centres = {centre.code: centre for centre in Centre.objects.all()}
    outcomes: list[str] = []

    for username, role, last_name, first_name in ROLE_LOGINS:
        user, outcome = _user_sync(
            username=username,
            last_name=last_name,
            first_name=first_name,
            is_superuser=False,
            password=password,
        )
        department = _login_department(role, window_department=window_department)
        centre = centres.get(ROLE_CENTRES.get(username, ""))
        outcome = _merge(
            outcome, _profile_sync(user=user, role=role, department=department, centre=centre)
        )
        outcomes.append(
            _merge(outcome, _groups_sync(user=user, groups=[groups[ROLE_GROUPS[role]]]))
        )

    for username, role, centre in _network_logins(centres):
        last_name, first_name = _reviewer_name(username)
        user, outcome = _user_sync(
            username=username,
            last_name=last_name,
            first_name=first_name,
            is_superuser=False,
            password=password,
        )
        department = window_department if role == Role.CLERK else None
        outcome = _merge(
            outcome, _profile_sync(user=user, role=role, department=department, centre=centre)
        )
        outcomes.append(
            _merge(outcome, _groups_sync(user=user, groups=[groups[ROLE_GROUPS[role]]]))
        )

    for department in Department.objects.order_by("code"):
        last_name, first_name = _reviewer_name(department.code)
        user, outcome = _user_sync(
            username=f"reviewer_{department.code.lower()}",
            last_name=last_name,
            first_name=first_name,
            is_superuser=False,
            password=password,
        )
        outcome = _merge(
            outcome, _profile_sync(user=user, role=Role.REVIEWER, department=department)
        )
        outcomes.append(_merge(outcome, _groups_sync(user=user, groups=[groups["reviewers"]])))

    username, last_name, first_name = ADMIN_LOGIN
    _, outcome = _user_sync(
        username=username,
        last_name=last_name,
        first_name=first_name,
        is_superuser=True,
        password=password,
    )
    outcomes.append(outcome)

    return {
        "users": len(outcomes),
        "users_created": outcomes.count("created"),
        "users_updated": outcomes.count("updated"),
        "groups": len(groups),
    }


def _network_logins(centres: dict[str, Centre]) -> list[tuple[str, str, Centre]]:
    """One clerk per centre (``clerk_<code>``) and one supervisor per county
    (``supervisor_<code>``), besides ``clerk`` and ``supervisor`` at the city centre."""
    logins = [(f"clerk_{code.lower()}", Role.CLERK, centre) for code, centre in centres.items()]
    logins += [
        (f"supervisor_{code.lower()}", Role.SUPERVISOR, centre)
        for code, centre in centres.items()
        if centre.level == CentreLevel.COUNTY
    ]
    return sorted(logins, key=lambda login: login[2].path)


def _login_department(role: str, *, window_department: Department | None) -> Department | None:
    if role == Role.CLERK:
        return window_department
    if role == Role.LOTTERY_OFFICER:
        department = Department.objects.filter(code=TRANSPORT_DEPARTMENT_CODE).first()
        if department is None:
            raise DemoDataError(
                f"The demo catalogue {CATALOGUE_PATH.name} defines no department "
                f"{TRANSPORT_DEPARTMENT_CODE}: the lottery officer has no department."
            )
        return department
    return None


def _window_department() -> Department | None:
    for keyword in WINDOW_DEPARTMENT_KEYWORDS:
        department = Department.objects.filter(name__contains=keyword).order_by("code").first()
        if department is not None:
            return department
    return None


def _reviewer_name(department_code: str) -> tuple[str, str]:
    # Derived from the code, not the position, so adding a department renames nobody.
    number = zlib.crc32(department_code.encode())
    return (
        REVIEWER_SURNAMES[number % len(REVIEWER_SURNAMES)],
        REVIEWER_GIVEN_NAMES[(number // len(REVIEWER_SURNAMES)) % len(REVIEWER_GIVEN_NAMES)],
    )


def _merge(outcome: str, change: bool) -> str:
    return "updated" if outcome == "unchanged" and change else outcome


def _user_sync(
    *, username: str, last_name: str, first_name: str, is_superuser: bool, password: _DemoPassword
) -> tuple[Any, str]:
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    is_new = user is None
    if is_new:
        user = user_model(username=username)
    wanted: dict[str, Any] = {
        "first_name": first_name,
        "last_name": last_name,
        "is_active": True,
        "is_staff": True,
        "is_superuser": is_superuser,
    }
    changed = [name for name, value in wanted.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, wanted[name])
    if not password.matches(user.password):
        user.password = password.encoded()
        changed.append("password")
    if is_new:
        user.save()
        return user, "created"
    if changed:
        user.save(update_fields=changed)
        return user, "updated"
    return user, "unchanged"


def _profile_sync(
    *,
    user: AbstractBaseUser,
    role: str,
    department: Department | None,
    centre: Centre | None = None,
) -> bool:
    department_id = department.pk if department is not None else None
    centre_id = centre.pk if centre is not None else None
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is None:
        StaffProfile.objects.create(user=user, role=role, department=department, centre=centre)
        return True
    if (profile.role, profile.department_id, profile.centre_id) == (role, department_id, centre_id):
        return False
    profile.role = role
    profile.department_id = department_id
    profile.centre_id = centre_id
    profile.save(update_fields=["role", "department", "centre"])
    return True


def _groups_sync(*, user: Any, groups: Iterable[Group]) -> bool:
    wanted = {group.pk for group in groups}
    if set(user.groups.values_list("pk", flat=True)) == wanted:
        return False
    user.groups.set(wanted)
    return True
