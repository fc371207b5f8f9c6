"""The catalogue in the admin: every model reachable, searchable, filterable, and lists that stay cheap."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments.constants import Role
from departments.identifiers import mask_id_number
from departments.models import BundleItem, MaterialRequirement, StaffProfile, WorkingCalendarDay
from tests.factories import (
    BundleFactory,
    CertificateTypeFactory,
    DepartmentFactory,
    MaterialRequirementFactory,
    MaterialTypeFactory,
    RegistryFactory,
    RegistryRecordFactory,
    ServiceItemFactory,
    SharingAgreementFactory,
    StaffFactory,
    UserFactory,
)
from tests.sign_in import sign_in

# Edited through their parent's inline, not on a page of their own.
INLINE_ONLY_MODELS = {MaterialRequirement, BundleItem, WorkingCalendarDay}

pytestmark = pytest.mark.django_db


def admin_url(model_or_instance, view: str, *args) -> str:
    meta = model_or_instance._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


class ChangeFormData(HTMLParser):
    """What a browser would post from an admin change form, read from its HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("id") or "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in {"submit", "button", "file", "image"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attributes:
                return
            self.data.setdefault(name, []).append(
                attributes.get("value") or ("on" if kind == "checkbox" else "")
            )
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attributes:
            self.data[self._select].append(attributes.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data: str) -> None:
        if self._in_form and self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@pytest.fixture
def admin_site_client(client, superuser):
    sign_in(client, superuser)
    return client


@pytest.fixture
def catalogue(superuser):
    department = DepartmentFactory(code="A", name="市市场监督管理局")
    certificate_type = CertificateTypeFactory(
        code="FOOD_LICENCE", name="食品经营许可证", issuing_department=department
    )
    registry = RegistryFactory(
        code="POPULATION", name="人口信息库", department=DepartmentFactory(code="B")
    )
    material_type = MaterialTypeFactory(
        code="ID_CARD", name="居民身份证", satisfied_by=certificate_type, verifiable_by=registry
    )
    item = ServiceItemFactory(
        code="FOOD", name="食品经营许可", department=department, produces=certificate_type
    )
    MaterialRequirementFactory(item=item, material_type=material_type)
    return {
        "department": department,
        "certificate_type": certificate_type,
        "registry": registry,
        "registry_record": RegistryRecordFactory(registry=registry),
        "material_type": material_type,
        "item": item,
        "bundle": BundleFactory(code="OPEN_RESTAURANT", name="开办餐馆", with_items=[item]),
        "sharing_agreement": SharingAgreementFactory(consumer=department, registry=registry),
        "staff_profile": StaffProfile.objects.get(user=superuser),
        "user": superuser,
    }


def test_every_catalogue_model_is_registered_or_inline_only():
    for model in apps.get_app_config("departments").get_models():
        assert admin.site.is_registered(model) or model in INLINE_ONLY_MODELS, model


def test_user_admin_carries_the_staff_profile_inline():
    user_admin = admin.site.get_model_admin(get_user_model())
    assert any(inline.model is StaffProfile for inline in user_admin.inlines)


@pytest.mark.parametrize(
    "key",
    [
        "department",
        "certificate_type",
        "registry",
        "registry_record",
        "material_type",
        "item",
        "bundle",
        "sharing_agreement",
        "staff_profile",
        "user",
    ],
)
def test_changelist_change_and_add_pages_open(admin_site_client, catalogue, key):
    instance = catalogue[key]
    assert admin_site_client.get(admin_url(instance, "changelist")).status_code == 200
    assert admin_site_client.get(admin_url(instance, "change", instance.pk)).status_code == 200
    assert admin_site_client.get(admin_url(instance, "add")).status_code == 200


@pytest.mark.parametrize(
    "key",
    [
        "department",
        "certificate_type",
        "registry",
        "registry_record",
        "material_type",
        "item",
        "bundle",
    ],
)
def test_every_filter_choice_opens(admin_site_client, catalogue, key):
    url = admin_url(catalogue[key], "changelist")
    changelist = admin_site_client.get(url).context["cl"]
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            assert admin_site_client.get(url + choice["query_string"]).status_code == 200, choice


def test_service_item_search_by_code_and_name(admin_site_client, catalogue):
    ServiceItemFactory(code="TAX_REG", name="税务登记")
    url = admin_url(catalogue["item"], "changelist")
    assert list(admin_site_client.get(url, {"q": "FOOD"}).context["cl"].result_list) == [
        catalogue["item"]
    ]
    assert list(admin_site_client.get(url, {"q": "食品经营"}).context["cl"].result_list) == [
        catalogue["item"]
    ]


def test_service_item_page_lists_requirements_by_position(admin_site_client, catalogue):
    item = catalogue["item"]
    MaterialRequirementFactory(
        item=item, material_type=MaterialTypeFactory(name="营业执照"), position=2
    )
    MaterialRequirementFactory(
        item=item, material_type=MaterialTypeFactory(name="场所平面图"), position=1
    )
    item.requirements.filter(material_type=catalogue["material_type"]).update(position=3)
    html = admin_site_client.get(admin_url(item, "change", item.pk)).content.decode()
    assert html.index("场所平面图") < html.index("营业执照") < html.index("居民身份证 (ID_CARD)")


def test_registry_record_list_masks_the_subject_id(admin_site_client, catalogue):
    record = catalogue["registry_record"]
    html = admin_site_client.get(admin_url(record, "changelist")).content.decode()
    assert mask_id_number(record.subject_id) in html
    assert record.subject_id not in html


def test_registry_record_page_shows_the_full_subject_id(admin_site_client, catalogue):
    record = catalogue["registry_record"]
    html = admin_site_client.get(admin_url(record, "change", record.pk)).content.decode()
    assert record.subject_id in html


def test_registry_record_search_needs_the_exact_subject_id(admin_site_client, catalogue):
    record = catalogue["registry_record"]
    url = admin_url(record, "changelist")
    assert list(admin_site_client.get(url, {"q": record.subject_id}).context["cl"].result_list) == [
        record
    ]
    assert (
        list(admin_site_client.get(url, {"q": record.subject_id[:10]}).context["cl"].result_list)
        == []
    )


def test_registry_record_filter_by_registry(admin_site_client, catalogue):
    record = catalogue["registry_record"]
    RegistryRecordFactory()  # another registry
    response = admin_site_client.get(
        admin_url(record, "changelist"), {"registry__id__exact": record.registry_id}
    )
    assert list(response.context["cl"].result_list) == [record]


def test_user_page_gives_a_user_a_reviewer_profile(admin_site_client, department):
    user = UserFactory(username="reviewer_new")
    url = admin_url(user, "change", user.pk)
    data = ChangeFormData(admin_site_client.get(url).content.decode()).data
    data.update(
        {
            "staff_profile-TOTAL_FORMS": ["1"],
            "staff_profile-0-role": [Role.REVIEWER],
            "staff_profile-0-department": [str(department.pk)],
            "staff_profile-0-user": [str(user.pk)],
        }
    )
    response = admin_site_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    profile = StaffProfile.objects.get(user=user)
    assert (profile.role, profile.department) == (Role.REVIEWER, department)


def test_user_page_refuses_a_reviewer_without_department(admin_site_client):
    user = UserFactory(username="reviewer_nowhere")
    url = admin_url(user, "change", user.pk)
    data = ChangeFormData(admin_site_client.get(url).content.decode()).data
    data.update({"staff_profile-TOTAL_FORMS": ["1"], "staff_profile-0-role": [Role.REVIEWER]})
    response = admin_site_client.post(url, data)
    assert response.status_code == 200
    [profile_errors] = [
        inline.formset.errors for inline in response.context["inline_admin_formsets"]
    ]
    assert profile_errors[0]["__all__"]  # the form says why, instead of a database error
    assert not StaffProfile.objects.filter(user=user).exists()


def test_user_list_shows_role_and_department(admin_site_client, department):
    StaffFactory(username="reviewer_listed", role=Role.REVIEWER, department=department)
    html = admin_site_client.get(admin_url(get_user_model(), "changelist")).content.decode()
    assert "部门审批人员" in html
    assert "市市场监督管理局" in html


# Rows share one department: the factories' department codes run out after A..ZZ, and
# rows with their own related objects would show no N+1 that shared ones hide (Django
# fetches a related object per row either way unless the list joins it).
ROW_MAKERS = {
    "item": lambda department: ServiceItemFactory(
        department=department, produces=CertificateTypeFactory(issuing_department=department)
    ),
    "registry_record": lambda department: RegistryRecordFactory(
        registry=RegistryFactory(department=department)
    ),
    "sharing_agreement": lambda department: SharingAgreementFactory(
        consumer=department, registry=RegistryFactory(department=department)
    ),
    "material_type": lambda department: MaterialTypeFactory(
        satisfied_by=CertificateTypeFactory(issuing_department=department),
        verifiable_by=RegistryFactory(department=department),
    ),
    "user": lambda department: StaffFactory(role=Role.REVIEWER, department=department),
}


@pytest.mark.parametrize("model_admin_of", list(ROW_MAKERS))
def test_changelist_query_count_does_not_grow_with_rows(
    admin_site_client, catalogue, django_assert_max_num_queries, model_admin_of
):
    model = type(catalogue[model_admin_of])
    url = admin_url(model, "changelist")
    base = model._default_manager.count()
    make_row = ROW_MAKERS[model_admin_of]
    for _ in range(3):
        make_row(catalogue["department"])
    admin_site_client.get(url)  # warm the caches a first request fills
    with CaptureQueriesContext(connection) as three_rows:
        response = admin_site_client.get(url)
    assert len(response.context["cl"].result_list) == base + 3
    for _ in range(27):
        make_row(catalogue["department"])
    with django_assert_max_num_queries(len(three_rows)):
        response = admin_site_client.get(url)
    assert len(response.context["cl"].result_list) == base + 30
