"""The demo's permission groups, one per role, with the permissions each role needs."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from departments.constants import Role

from .base import DemoDataError

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
        for model in ("case", "casematerial", "verification", "caseevent")
    }
    | {("certificates", "view_certificate")},
    "supervisors": set(),  # every view permission of both apps, filled in at load time
    # The lottery's admin: open and edit rounds and rule sets, decide appeals.
    "lottery_officers": {
        ("lottery", f"{action}_{model}")
        for model in ("round", "ruleset")
        for action in ("view", "change", "add")
    }
    | {("lottery", "view_application"), ("lottery", "change_application")},
}
SUPERVISED_APPS = ("cases", "certificates", "departments")
# The apps whose permissions the groups are given.
GROUP_APPS = (*SUPERVISED_APPS, "lottery")


def groups_demo_load() -> dict[str, Group]:
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
