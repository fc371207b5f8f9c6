"""``manage.py load_demo``: synthetic registries, demo logins, idempotency, the DEBUG guard.

Loading 1,200 subjects takes a few seconds, so the demo is loaded twice once for
the whole module (inside a transaction rolled back at the end) and the tests
read what those two runs left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import RequestFactory

from departments.constants import Role
from departments.demo.people import REGISTRY_CODES, build_demo_population
from departments.identifiers import validate_resident_id, validate_uscc
from departments.models import Department, RegistryRecord
from departments.services.demo import demo_load

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "onewindow-demo"


def demo_authenticate(username: str) -> Any:
    """The demo password checked as the sign-in page checks it: with the request, which
    the lockout (django-axes, first of the authentication backends) needs."""
    return authenticate(RequestFactory().post("/"), username=username, password=DEMO_PASSWORD)


def database_snapshot() -> dict[str, Any]:
    """Row counts of every model of both apps and of auth, the registry rows, the demo users."""
    counts = {
        model._meta.label: model.objects.count()
        for app_label in ("cases", "departments", "auth")
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True)
    }
    records = {
        (code, subject_id): (data, updated_at)
        for code, subject_id, data, updated_at in RegistryRecord.objects.values_list(
            "registry__code", "subject_id", "data", "updated_at"
        )
    }
    users = {
        user.username: (
            user.password,
            user.first_name,
            user.last_name,
            user.is_staff,
            user.is_superuser,
            getattr(getattr(user, "staff_profile", None), "role", None),
            getattr(getattr(user, "staff_profile", None), "department_id", None),
            tuple(sorted(user.groups.values_list("name", flat=True))),
        )
        for user in get_user_model().objects.select_related("staff_profile")
    }
    groups = {
        group.name: sorted(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.all()
    }
    return {"counts": counts, "records": records, "users": users, "groups": groups}


@dataclass
class DemoRuns:
    first_counts: dict[str, int]
    first: dict[str, Any]
    second_counts: dict[str, int]
    second: dict[str, Any]


@pytest.fixture(scope="module")
def demo_runs(django_db_setup: None, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock(), transaction.atomic():
        first_counts = demo_load(force=True)
        first = database_snapshot()
        second_counts = demo_load(force=True)
        second = database_snapshot()
        yield DemoRuns(
            first_counts=first_counts, first=first, second_counts=second_counts, second=second
        )
        transaction.set_rollback(True)


def records_of(code: str) -> dict[str, dict[str, Any]]:
    return dict(
        RegistryRecord.objects.filter(registry__code=code).values_list("subject_id", "data")
    )


def test_synthetic_people_are_the_same_on_every_build() -> None:
    assert build_demo_population().records == build_demo_population().records


def test_registries_hold_at_least_1000_persons_and_200_organisations_with_valid_numbers(
    demo_runs: DemoRuns,
) -> None:
    persons = records_of("POPULATION")
    organisations = records_of("LEGAL_PERSON")

    assert len(persons) >= 1000
    assert len(organisations) >= 200
    for resident_id in persons:
        validate_resident_id(resident_id)
    for credit_code in organisations:
        validate_uscc(credit_code)
    assert all(data["legal_representative_id"] in persons for data in organisations.values())
    assert {data["status"] for data in organisations.values()} == {"存续", "注销"}


def test_every_registry_is_filled_with_the_documented_keys(demo_runs: DemoRuns) -> None:
    persons = records_of("POPULATION")
    organisations = records_of("LEGAL_PERSON")
    social_insurance = records_of("SOCIAL_INSURANCE")
    tax = records_of("TAX")
    real_estate = records_of("REAL_ESTATE")

    assert set(organisations) <= set(social_insurance)
    assert set(organisations) <= set(tax)
    assert 0.4 < len(set(tax) & set(persons)) / len(persons) < 0.6
    assert 0.2 < len(real_estate) / len(persons) < 0.4
    assert set(next(iter(persons.values()))) == {
        "name", "gender", "birth_date", "ethnicity", "address", "phone", "household_address",
        "marital_status", "spouse_id", "spouse_name", "children", "status", "hukou_city",
    }  # fmt: skip
    assert set(next(iter(social_insurance.values()))) == {
        "status", "months_paid", "paid_through", "consecutive_months",
    }  # fmt: skip
    assert set(next(iter(tax.values()))) == {"arrears", "arrears_amount", "credit_rating"}
    title = next(iter(real_estate.values()))["titles"][0]
    assert set(title) == {"number", "address", "area", "use"}
    assert title["number"].startswith("川(") and "成都市不动产权第" in title["number"]
    for resident_id, data in persons.items():
        # GB 11643: the 17th digit is odd for men, even for women.
        assert data["gender"] == ("男" if int(resident_id[16]) % 2 else "女")
        assert data["birth_date"].replace("-", "") == resident_id[6:14]
        assert (
            len(data["phone"]) == 11 and data["phone"][0] == "1" and data["phone"][1] in "3456789"
        )


def test_married_persons_point_at_each_other(demo_runs: DemoRuns) -> None:
    persons = records_of("POPULATION")
    married = {
        resident_id: data
        for resident_id, data in persons.items()
        if data["marital_status"] == "已婚"
    }

    assert len(married) > 100
    for resident_id, data in married.items():
        spouse = persons[data["spouse_id"]]
        assert spouse["spouse_id"] == resident_id
        assert spouse["spouse_name"] == data["name"]
        assert spouse["gender"] != data["gender"]
    assert all(
        data["spouse_id"] == "" for data in persons.values() if data["marital_status"] != "已婚"
    )


def test_names_with_characters_outside_the_bmp_are_kept_whole(demo_runs: DemoRuns) -> None:
    names = {data["name"]: resident_id for resident_id, data in records_of("POPULATION").items()}

    assert {"𠮷永康", "王𠮷", "张𡒄", "刘䶮"} <= set(names)
    stored = RegistryRecord.objects.get(registry__code="POPULATION", subject_id=names["𠮷永康"])
    assert stored.data["name"] == "\U00020bb7永康"
    assert len(stored.data["name"]) == 3
    assert any(
        data["legal_representative"] == "𠮷永康" for data in records_of("LEGAL_PERSON").values()
    )


def test_running_twice_changes_nothing(demo_runs: DemoRuns) -> None:
    assert demo_runs.first["counts"] == demo_runs.second["counts"]
    assert demo_runs.first["records"] == demo_runs.second["records"]
    assert demo_runs.first["users"] == demo_runs.second["users"]
    assert demo_runs.first["groups"] == demo_runs.second["groups"]
    assert demo_runs.first_counts["records_created"] > 0
    assert demo_runs.second_counts["records_created"] == 0
    assert demo_runs.second_counts["records_updated"] == 0
    assert demo_runs.second_counts["users_created"] == 0
    assert demo_runs.second_counts["users_updated"] == 0
    for code in REGISTRY_CODES:
        key = f"registry_{code.lower()}"
        assert demo_runs.first_counts[key] == demo_runs.second_counts[key] > 0


def test_running_again_puts_back_what_was_changed(demo_runs: DemoRuns) -> None:
    record = RegistryRecord.objects.filter(registry__code="TAX").order_by("subject_id").first()
    original = record.data
    record.data = {**original, "arrears": True}
    record.save()
    clerk = get_user_model().objects.get(username="clerk")
    clerk.first_name = "改名"
    clerk.set_password("changed")
    clerk.save()
    clerk.staff_profile.role = Role.SUPERVISOR
    clerk.staff_profile.save()

    counts = demo_load(force=True)

    assert counts["records_updated"] == 1
    assert counts["records_created"] == 0
    assert counts["users_updated"] == 1
    record.refresh_from_db()
    assert record.data == original
    assert demo_authenticate("clerk").staff_profile.role == Role.CLERK
    assert database_snapshot()["counts"] == demo_runs.second["counts"]


def test_every_demo_login_exists_with_its_role_and_the_demo_password(demo_runs: DemoRuns) -> None:
    user_model = get_user_model()
    departments = list(Department.objects.all())
    window_department = (
        Department.objects.filter(name__contains="行政审批").order_by("code").first()
        or Department.objects.filter(name__contains="政务服务").order_by("code").first()
    )
    expected = {
        "clerk": (Role.CLERK, window_department, "clerks"),
        "agent": (Role.AGENT, None, "agents"),
        "supervisor": (Role.SUPERVISOR, None, "supervisors"),
    }
    expected.update(
        {
            f"reviewer_{department.code.lower()}": (Role.REVIEWER, department, "reviewers")
            for department in departments
        }
    )

    assert len(departments) > 0
    assert settings.DEMO_PASSWORD == DEMO_PASSWORD
    for username, (role, department, group) in expected.items():
        user = demo_authenticate(username)
        assert user is not None, username
        assert user.is_staff and not user.is_superuser
        assert user.first_name and user.last_name
        assert user.staff_profile.role == role
        assert user.staff_profile.department == department
        assert list(user.groups.values_list("name", flat=True)) == [group]
    admin = demo_authenticate("admin")
    assert admin is not None and admin.is_superuser and admin.is_staff
    assert user_model.objects.filter(username__startswith="reviewer_").count() == len(departments)


def test_demo_groups_grant_what_each_role_needs(demo_runs: DemoRuns) -> None:
    user_model = get_user_model()
    reviewer = user_model.objects.filter(username__startswith="reviewer_").first()
    clerk = user_model.objects.get(username="clerk")
    agent = user_model.objects.get(username="agent")
    supervisor = user_model.objects.get(username="supervisor")

    assert reviewer.has_perms(
        ["cases.view_approval", "cases.change_approval", "cases.view_verification"]
    )
    assert not reviewer.has_perm("cases.change_case")
    assert not reviewer.has_perm("departments.view_registryrecord")
    assert clerk.has_perms(["cases.add_case", "cases.change_applicant", "cases.add_delivery"])
    assert clerk.has_perm("departments.view_serviceitem")
    assert not clerk.has_perm("cases.change_approval")
    assert agent.has_perm("departments.view_bundle")
    assert not agent.has_perm("cases.view_case")
    assert supervisor.has_perms(["cases.view_caseevent", "departments.view_department"])
    assert not supervisor.has_perm("cases.change_case")


def test_load_demo_refuses_without_debug_unless_forced() -> None:
    before = database_snapshot()

    with pytest.raises(CommandError, match="DEBUG") as refusal:
        call_command("load_demo", stdout=StringIO())

    assert DEMO_PASSWORD in str(refusal.value)
    assert "--force" in str(refusal.value)
    assert database_snapshot() == before


def test_load_demo_runs_without_force_when_debug_is_on(demo_runs: DemoRuns, settings: Any) -> None:
    settings.DEBUG = True
    output = StringIO()

    call_command("load_demo", stdout=output)

    summary = output.getvalue()
    assert "POPULATION" in summary and "LEGAL_PERSON" in summary
    assert "0 created, 0 updated" in summary
    assert "Demo data loaded." in summary
