"""``load_demo``: the catalogue, synthetic registries and one login per role.

Running it again changes nothing: every row is compared with what it should be
and written only when missing or different, so a demo machine can be refreshed
at any time without duplicating people or resetting anyone's work.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

import departments.demo
from centres.constants import CentreLevel
from centres.models import Centre
from centres.services import network_demo_load
from departments.constants import Role
from departments.demo.people import REGISTRY_CODES, build_demo_population
from departments.models import Department, Registry, RegistryRecord, StaffProfile
from departments.services.catalogue import CatalogueError, catalogue_import

CATALOGUE_PATH = Path(departments.demo.__file__).parent / "catalogue.yaml"

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

ROLE_GROUPS = {
    Role.CLERK: "clerks",
    Role.AGENT: "agents",
    Role.SUPERVISOR: "supervisors",
    Role.REVIEWER: "reviewers",
    Role.LOTTERY_OFFICER: "lottery_officers",
}
# The catalogue as reviewers, clerks and agents may browse it. Registry records and
# staff profiles are left out: personal data is read through the sharing gateway,
# which logs every read, never by browsing the admin.
CATALOGUE_MODELS = (
    "department",
    "certificatetype",
    "registry",
    "materialtype",
    "serviceitem",
    "materialrequirement",
    "bundle",
    "bundleitem",
    "sharingagreement",
)
CATALOGUE_VIEW = {("departments", f"view_{model}") for model in CATALOGUE_MODELS}
CLERK_CASE_MODELS = ("case", "applicant", "casematerial", "visit", "delivery")
GROUP_PERMISSIONS: dict[str, set[tuple[str, str]]] = {
    "clerks": CATALOGUE_VIEW
    | {
        ("cases", f"{action}_{model}")
        for model in CLERK_CASE_MODELS
        for action in ("view", "add", "change")
    },
    "agents": set(CATALOGUE_VIEW),
    "reviewers": CATALOGUE_VIEW
    | {("cases", "view_approval"), ("cases", "change_approval")}
    | {
        ("cases", f"view_{model}")
        for model in ("case", "casematerial", "verification", "caseevent", "certificate")
    },
    "supervisors": set(),  # every view permission of both apps, filled in at load time
    # The lottery's admin: open and edit rounds and rule sets, decide appeals.
    "lottery_officers": {
        ("lottery", f"{action}_{model}")
        for model in ("round", "ruleset")
        for action in ("view", "change", "add")
    }
    | {("lottery", "view_application"), ("lottery", "change_application")},
}
SUPERVISED_APPS = ("cases", "departments")
# The apps whose permissions the groups are given.
GROUP_APPS = (*SUPERVISED_APPS, "lottery")


class DemoDataError(Exception):
    """The demo data cannot be loaded; the message says why."""


class DemoLoadRefusedError(DemoDataError):
    """``DEBUG`` is off and the load was not forced."""


def demo_load(*, force: bool = False) -> dict[str, int]:
    """Load or refresh the demo: what a visitor of the demo site logs in with and finds.

    Imports the demo catalogue, fills the local registries with the synthetic
    persons and organisations, and creates the logins ``clerk``, ``agent``,
    ``supervisor``, ``lottery_officer`` (of the transport department), ``admin`` and
    ``reviewer_<code>`` for every department, all with
    ``settings.DEMO_PASSWORD``. Refuses when ``DEBUG`` is off unless ``force``:
    the password is public. Returns counts for the summary.
    """
    if not settings.DEBUG and not force:
        raise DemoLoadRefusedError(
            "load_demo refuses to run with DEBUG off: it creates demo logins (clerk, agent, "
            "supervisor, lottery_officer, admin, reviewer_*) whose password "
            f"{settings.DEMO_PASSWORD!r} is public. "
            "Run it on a demo or development system, or pass --force if this one really is a demo."
        )
    with transaction.atomic():
        try:
            catalogue_counts = catalogue_import(path=CATALOGUE_PATH)
        except CatalogueError as error:
            raise DemoDataError(
                f"The demo catalogue could not be imported, nothing was loaded:\n{error}"
            ) from error
        counts = {f"catalogue_{name}": number for name, number in catalogue_counts.items()}
        counts.update(_registries_load())
        counts.update(_logins_load())
    return counts


# --- registries -------------------------------------------------------------


def _registries_load() -> dict[str, int]:
    registries = {
        registry.code: registry for registry in Registry.objects.filter(code__in=REGISTRY_CODES)
    }
    missing = [code for code in REGISTRY_CODES if code not in registries]
    if missing:
        raise DemoDataError(
            f"The demo catalogue {CATALOGUE_PATH.name} defines no registry {', '.join(missing)}: "
            "the synthetic people and companies have nowhere to go."
        )
    population = build_demo_population()
    existing = {
        (registry_id, subject_id): (pk, data)
        for pk, registry_id, subject_id, data in RegistryRecord.objects.filter(
            registry__in=registries.values()
        ).values_list("pk", "registry_id", "subject_id", "data")
    }
    now = timezone.now()
    to_create: list[RegistryRecord] = []
    to_update: list[RegistryRecord] = []
    unchanged = 0
    for code, records in population.records.items():
        registry = registries[code]
        for subject_id, data in records.items():
            stored = existing.get((registry.pk, subject_id))
            if stored is None:
                to_create.append(
                    RegistryRecord(registry=registry, subject_id=subject_id, data=data)
                )
            elif stored[1] != data:
                # bulk_update skips auto_now, so the time is set here.
                to_update.append(RegistryRecord(pk=stored[0], data=data, updated_at=now))
            else:
                unchanged += 1
    RegistryRecord.objects.bulk_create(to_create, batch_size=500)
    RegistryRecord.objects.bulk_update(to_update, ["data", "updated_at"], batch_size=500)

    per_registry = dict(
        RegistryRecord.objects.filter(registry__in=registries.values())
        .values_list("registry__code")
        .annotate(number=Count("pk"))
        .values_list("registry__code", "number")
    )
    counts = {f"registry_{code.lower()}": per_registry.get(code, 0) for code in REGISTRY_CODES}
    counts.update(
        records_created=len(to_create),
        records_updated=len(to_update),
        records_unchanged=unchanged,
        persons=len(population.persons),
        organisations=len(population.organisations),
    )
    return counts


# --- logins -----------------------------------------------------------------


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


def _logins_load() -> dict[str, int]:
    groups = _groups_load()
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


def _groups_load() -> dict[str, Group]:
    # Permissions are created after migrate; creating them here too makes the
    # load independent of how the database was set up (idempotent either way).
    for app_label in GROUP_APPS:
        create_permissions(apps.get_app_config(app_label), verbosity=0)
    permissions = {
        (permission.content_type.app_label, permission.codename): permission
        for permission in Permission.objects.filter(
            content_type__app_label__in=GROUP_APPS
        ).select_related("content_type")
    }
    wanted = dict(GROUP_PERMISSIONS)
    # Supervisors see everything but the registries' raw records: personal data is
    # read through the sharing gateway, which logs every read.
    wanted["supervisors"] = {
        key
        for key in permissions
        if key[0] in SUPERVISED_APPS
        and key[1].startswith("view_")
        and key not in {("departments", "view_registryrecord")}
    }
    unknown = sorted(
        f"{app}.{codename}"
        for keys in wanted.values()
        for app, codename in keys - permissions.keys()
    )
    if unknown:
        raise DemoDataError(
            f"Demo group permissions name unknown permissions: {', '.join(unknown)}."
        )

    groups = {}
    for name, keys in wanted.items():
        group, _ = Group.objects.get_or_create(name=name)
        # set() adds and removes only the difference: nothing when already right.
        group.permissions.set([permissions[key] for key in sorted(keys)])
        groups[name] = group
    return groups
