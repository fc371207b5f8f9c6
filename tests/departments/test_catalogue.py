"""The catalogue as YAML: import, export, the demo catalogue, and every kind of broken file."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

import departments.demo
from departments.identifiers import validate_uscc
from departments.models import (
    Bundle,
    BundleItem,
    CertificateType,
    Department,
    MaterialRequirement,
    MaterialType,
    Registry,
    ServiceItem,
    SharingAgreement,
)
from departments.services.catalogue import (
    SECTION_NAMES,
    CatalogueError,
    catalogue_export,
    catalogue_import,
)

pytestmark = pytest.mark.django_db

DEMO_CATALOGUE = Path(departments.demo.__file__).parent / "catalogue.yaml"
CATALOGUE_MODELS = (
    SharingAgreement,
    BundleItem,
    Bundle,
    MaterialRequirement,
    ServiceItem,
    MaterialType,
    CertificateType,
    Registry,
    Department,
)

# A small but complete catalogue: every section, a certificate flow (A002 needs the
# name approval A001 produces), a prefilled form field.
BASE = """\
departments:
  - {code: A, name: 成都市市场监督管理局, level: city, credit_code: 11510100MB00153032}
  - {code: B, name: 成都市公安局, level: city, credit_code: ""}
registries:
  - {code: POPULATION, name: 人口基础信息库, department: B, kind: population, connector: local, endpoint_url: "", description: ""}
certificate_types:
  - {code: NAME_APPROVAL, name: 企业名称预先核准通知书, issuing_department: A, validity_days: 180}
  - {code: BUSINESS_LICENCE, name: 营业执照, issuing_department: A, validity_days: null}
material_types:
  - {code: ID_CARD, name: 居民身份证, description: "", satisfied_by: null, verifiable_by: POPULATION, reuse_validity_days: 365}
  - {code: NAME_APPROVAL, name: 企业名称预先核准通知书, description: "", satisfied_by: NAME_APPROVAL, verifiable_by: null, reuse_validity_days: null}
  - {code: LEASE_CONTRACT, name: 房屋租赁合同, description: "", satisfied_by: null, verifiable_by: null, reuse_validity_days: 365}
items:
  - code: A001
    name: 企业名称预先核准
    department: A
    kind: registration
    audience: organisation
    legal_basis: 《企业名称登记管理规定》
    promised_working_days: 1
    fee: "0.00"
    requires_presence: false
    auto_decide: true
    produces: NAME_APPROVAL
    form_fields:
      - {name: investor_name, label: 投资人姓名, prefill: POPULATION.name}
    materials:
      - {material: ID_CARD, required: true, note: ""}
  - code: A002
    name: 有限责任公司设立登记
    department: A
    kind: registration
    audience: organisation
    legal_basis: 《中华人民共和国公司法》
    promised_working_days: 3
    fee: "0.00"
    requires_presence: false
    auto_decide: true
    produces: BUSINESS_LICENCE
    form_fields: []
    materials:
      - {material: NAME_APPROVAL, required: true, note: ""}
      - {material: ID_CARD, required: true, note: 法定代表人}
      - {material: LEASE_CONTRACT, required: false, note: 住所使用证明}
bundles:
  - {code: OPEN_COMPANY, name: 我要开公司, description: "", audience: organisation, life_event: company_start, all_or_nothing: false, items: [A001, A002]}
sharing_agreements:
  - {consumer: A, registry: POPULATION, purpose: 核验身份, valid_from: 2024-01-01, valid_until: null, is_active: true}
"""

# Valid changes that come *before* the broken entry in every broken file: they must
# not be written either.
VALID_CHANGES = """\
departments:
  - {code: A, name: 改名后的市场监督管理局}
  - {code: C, name: 成都市人力资源和社会保障局}
"""


def write(tmp_path: Path, text: str, name: str = "catalogue.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def import_text(tmp_path: Path, text: str, name: str = "catalogue.yaml") -> dict[str, int]:
    return catalogue_import(path=write(tmp_path, text, name))


def snapshot() -> tuple[dict[str, int], str]:
    """Row counts and the full export: equal snapshots mean an unchanged catalogue."""
    return {model.__name__: model.objects.count() for model in CATALOGUE_MODELS}, catalogue_export()


def empty_catalogue() -> None:
    for model in CATALOGUE_MODELS:
        model.objects.all().delete()


def created(counts: dict[str, int]) -> dict[str, int]:
    return {section: counts[f"{section}_created"] for section in SECTION_NAMES}


def entry_counts(text: str) -> dict[str, int]:
    data = yaml.safe_load(text)
    return {section: len(data.get(section) or []) for section in SECTION_NAMES}


# --- round trip ---------------------------------------------------------------------


def test_demo_catalogue_round_trips_byte_identical(tmp_path):
    demo_text = DEMO_CATALOGUE.read_text(encoding="utf-8")
    counts = catalogue_import(path=DEMO_CATALOGUE)
    assert created(counts) == entry_counts(demo_text)
    exported = catalogue_export()

    empty_catalogue()
    counts = import_text(tmp_path, exported, name="exported.yaml")

    assert created(counts) == entry_counts(demo_text)
    assert catalogue_export() == exported


def test_export_writes_the_file_and_returns_the_same_text(tmp_path):
    import_text(tmp_path, BASE)
    target = tmp_path / "out.yaml"
    text = catalogue_export(path=target)
    assert target.read_text(encoding="utf-8") == text


def test_export_emits_every_section_in_order_with_importable_values(tmp_path):
    import_text(tmp_path, BASE)
    data = yaml.safe_load(catalogue_export())
    assert list(data) == list(SECTION_NAMES)
    assert data["items"][0]["fee"] == "0.00"
    assert data["items"][0]["form_fields"] == [
        {"name": "investor_name", "label": "投资人姓名", "prefill": "POPULATION.name"}
    ]
    assert data["items"][1]["materials"][2] == {
        "material": "LEASE_CONTRACT",
        "required": False,
        "note": "住所使用证明",
    }
    assert data["certificate_types"][0] == {
        "code": "BUSINESS_LICENCE",
        "name": "营业执照",
        "issuing_department": "A",
        "validity_days": None,
        "formats": "pdf",
    }
    assert data["sharing_agreements"][0]["valid_from"] == dt.date(2024, 1, 1)
    assert data["bundles"][0]["items"] == ["A001", "A002"]


def test_export_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    catalogue_import(path=DEMO_CATALOGUE)
    with django_assert_max_num_queries(9):  # one per section, plus two prefetches
        catalogue_export()


def test_export_of_an_empty_catalogue_lists_every_section():
    assert yaml.safe_load(catalogue_export()) == {section: [] for section in SECTION_NAMES}


def test_characters_outside_the_basic_plane_survive_the_round_trip(tmp_path):
    text = BASE.replace("成都市公安局", "成都市𠮷祥区公安分局").replace(
        "有限责任公司设立登记", "𠮷野家餐饮有限公司设立登记"
    )
    import_text(tmp_path, text)
    assert Department.objects.get(code="B").name == "成都市𠮷祥区公安分局"
    exported = catalogue_export()
    assert "𠮷野家餐饮有限公司设立登记" in exported  # literally, not as an escape

    empty_catalogue()
    import_text(tmp_path, exported, name="exported.yaml")
    assert ServiceItem.objects.get(code="A002").name == "𠮷野家餐饮有限公司设立登记"
    assert catalogue_export() == exported


def test_fee_is_exported_with_two_decimals(tmp_path):
    import_text(tmp_path, BASE.replace('fee: "0.00"', 'fee: "12.5"', 1))
    assert yaml.safe_load(catalogue_export())["items"][0]["fee"] == "12.50"


# --- the demo catalogue ---------------------------------------------------------------


@pytest.fixture
def demo():
    catalogue_import(path=DEMO_CATALOGUE)


def item_chain_needs(item: ServiceItem) -> set[str]:
    """The certificate types an item needs (its prerequisites)."""
    return {
        requirement.material_type.satisfied_by.code
        for requirement in item.requirements.select_related("material_type__satisfied_by")
        if requirement.material_type.satisfied_by is not None
    }


def bundle_items(code: str) -> list[ServiceItem]:
    bundle = Bundle.objects.get(code=code)
    return [
        bundle_item.item
        for bundle_item in bundle.bundle_items.select_related("item__produces", "item__department")
    ]


def test_demo_catalogue_has_the_minimum_size(demo):
    assert ServiceItem.objects.count() >= 45
    assert Department.objects.count() >= 14
    assert ServiceItem.objects.values("department").distinct().count() >= 12
    for department in Department.objects.all():
        assert len(department.code) <= 2
        validate_uscc(department.credit_code)
    assert set(Registry.objects.values_list("code", flat=True)) == {
        "POPULATION",
        "LEGAL_PERSON",
        "SOCIAL_INSURANCE",
        "TAX",
        "REAL_ESTATE",
        "DRIVING_LICENCE",
        "VEHICLE",
        "INCOME_TAX",
        "ORG_CODE",
        "TAX_REGISTRATION",
    }
    assert set(Registry.objects.values_list("connector", flat=True)) == {"local"}


def test_demo_items_needing_the_applicant_in_person_are_never_decided_automatically(demo):
    in_person = ServiceItem.objects.filter(requires_presence=True)
    assert in_person.exists()
    assert not in_person.filter(auto_decide=True).exists()


def test_demo_restaurant_bundle_flows_name_approval_to_licence_to_permits(demo):
    name_approval, licence, *permits = bundle_items("OPEN_RESTAURANT")
    assert len(permits) == 2
    assert name_approval.produces.code == "NAME_APPROVAL"
    assert "NAME_APPROVAL" in item_chain_needs(licence)
    assert licence.produces.code == "BUSINESS_LICENCE"
    for permit in permits:
        assert "BUSINESS_LICENCE" in item_chain_needs(permit)
    assert {permit.produces.code for permit in permits} == {
        "FOOD_BUSINESS_LICENCE",
        "HYGIENE_PERMIT",
    }
    items = [name_approval, licence, *permits]
    assert all(item.auto_decide for item in items)
    # Shared materials appear in several items, so the one intake asks for them once.
    material_codes = [
        requirement.material_type.code
        for item in items
        for requirement in item.requirements.select_related("material_type")
    ]
    shared = {code for code in material_codes if material_codes.count(code) >= 2}
    assert {"ID_CARD", "LEASE_CONTRACT", "FLOOR_PLAN"} <= shared


def test_demo_construction_bundle_is_a_certificate_chain(demo):
    items = bundle_items("CONSTRUCTION_PROJECT")
    assert len(items) >= 5
    assert len({item.department_id for item in items}) >= 4
    produced: set[str] = set()
    for position, item in enumerate(items):
        if position > 0:
            assert item_chain_needs(item) & produced, f"{item.code} needs nothing produced earlier"
        assert item.produces is not None
        produced.add(item.produces.code)
    assert items[-1].produces.code == "CONSTRUCTION_PERMIT"


def test_demo_real_estate_bundle_is_three_departments_at_one_window(demo):
    bundle = Bundle.objects.get(code="REAL_ESTATE_REGISTRATION")
    items = bundle_items("REAL_ESTATE_REGISTRATION")
    assert len({item.department_id for item in items}) == 3
    assert bundle.life_event == "housing"
    assert items[-1].produces.code == "REAL_ESTATE_TITLE"


def test_demo_second_child_permit_needs_no_paper_and_prefills_from_population(demo):
    items = bundle_items("SECOND_CHILD_PERMIT")
    assert 1 <= len(items) <= 2
    for item in items:
        assert item.department.name.endswith("卫生健康委员会")
        assert item.auto_decide
        names = {field["name"] for field in item.form_fields}
        assert {
            "spouse_name",
            "spouse_id",
            "marital_status",
            "children",
            "household_address",
        } <= names
        assert all(field["prefill"].startswith("POPULATION.") for field in item.form_fields)
        for requirement in item.requirements.select_related("material_type__verifiable_by"):
            assert requirement.material_type.verifiable_by.code == "POPULATION"


def test_demo_bundles_cover_the_life_events(demo):
    life_events = dict(Bundle.objects.values_list("code", "life_event"))
    assert life_events["FLOW_POPULATION_MARRIAGE_BIRTH"] == "birth"
    assert life_events["SECOND_CHILD_PERMIT"] == "birth"
    assert life_events["OPEN_RESTAURANT"] == "company_start"
    assert life_events["CONSTRUCTION_PROJECT"] == "construction"
    assert {"marriage", "company_change", "company_close", "work"} <= set(life_events.values())


def test_demo_departments_may_read_the_registries_their_items_verify_against(demo):
    today = dt.date.today()
    for item in ServiceItem.objects.prefetch_related("requirements__material_type__verifiable_by"):
        for requirement in item.requirements.all():
            registry = requirement.material_type.verifiable_by
            if registry is None:
                continue
            agreement = SharingAgreement.objects.get(consumer=item.department, registry=registry)
            assert agreement.is_active
            assert agreement.valid_from <= today
            assert agreement.valid_until is None or agreement.valid_until >= today
    window = Department.objects.get(name__contains="行政审批")
    assert set(window.sharing_agreements.values_list("registry__code", flat=True)) >= {
        "POPULATION",
        "LEGAL_PERSON",
    }
    # At least one department has no agreement on some registry: a read is denied.
    registries = Registry.objects.count()
    assert any(
        department.sharing_agreements.count() < registries
        for department in Department.objects.all()
    )


# --- upsert -----------------------------------------------------------------------------


def test_importing_twice_changes_nothing(demo):
    before = snapshot()
    counts = catalogue_import(path=DEMO_CATALOGUE)
    assert snapshot() == before
    assert all(counts[f"{section}_created"] == 0 for section in SECTION_NAMES)
    assert all(counts[f"{section}_updated"] == 0 for section in SECTION_NAMES)
    assert counts["items_unchanged"] == ServiceItem.objects.count()


def test_a_changed_name_updates_the_row(tmp_path):
    import_text(tmp_path, BASE)
    counts = import_text(tmp_path, BASE.replace("成都市公安局", "成都市公安局（出入境）"))
    assert Department.objects.get(code="B").name == "成都市公安局（出入境）"
    assert counts["departments_updated"] == 1
    assert counts["departments_unchanged"] == 1
    assert Department.objects.count() == 2


def test_two_departments_can_swap_names(tmp_path):
    import_text(tmp_path, BASE)
    import_text(
        tmp_path,
        "departments:\n  - {code: A, name: 成都市公安局}\n  - {code: B, name: 成都市市场监督管理局}\n",
    )
    assert dict(Department.objects.values_list("code", "name")) == {
        "A": "成都市公安局",
        "B": "成都市市场监督管理局",
    }


def test_a_department_name_taken_by_another_department_is_refused(tmp_path):
    import_text(tmp_path, BASE)
    with pytest.raises(CatalogueError) as caught:
        import_text(tmp_path, "departments:\n  - {code: C, name: 成都市公安局}\n")
    assert caught.value.messages == [
        'catalogue.yaml: departments[0] (code "C"): field "name": department name "成都市公安局" '
        'is already used by department "B" in the database (line 2)'
    ]


def test_a_requirement_left_out_of_the_file_is_removed(tmp_path):
    import_text(tmp_path, BASE)
    counts = import_text(
        tmp_path,
        BASE.replace(
            "      - {material: LEASE_CONTRACT, required: false, note: 住所使用证明}\n", ""
        ),
    )
    item = ServiceItem.objects.get(code="A002")
    assert list(item.requirements.values_list("material_type__code", flat=True)) == [
        "NAME_APPROVAL",
        "ID_CARD",
    ]
    assert counts["items_updated"] == 1
    assert MaterialType.objects.filter(code="LEASE_CONTRACT").exists()  # nothing else is deleted


def test_requirements_are_reordered_and_their_fields_updated(tmp_path):
    import_text(tmp_path, BASE)
    reordered = BASE.replace(
        '      - {material: NAME_APPROVAL, required: true, note: ""}\n'
        "      - {material: ID_CARD, required: true, note: 法定代表人}\n",
        "      - {material: ID_CARD, required: false, note: 经办人}\n"
        '      - {material: NAME_APPROVAL, required: true, note: ""}\n',
    )
    import_text(tmp_path, reordered)
    rows = list(
        ServiceItem.objects.get(code="A002")
        .requirements.order_by("position")
        .values_list("material_type__code", "is_required", "note", "position")
    )
    assert rows == [
        ("ID_CARD", False, "经办人", 0),
        ("NAME_APPROVAL", True, "", 1),
        ("LEASE_CONTRACT", False, "住所使用证明", 2),
    ]


def test_a_bundle_gets_exactly_the_items_of_the_file(tmp_path):
    import_text(tmp_path, BASE)
    import_text(tmp_path, BASE.replace("items: [A001, A002]", "items: [A002]"))
    assert [item.code for item in bundle_items("OPEN_COMPANY")] == ["A002"]
    import_text(tmp_path, BASE.replace("items: [A001, A002]", "items: [A002, A001]"))
    assert [item.code for item in bundle_items("OPEN_COMPANY")] == ["A002", "A001"]
    assert ServiceItem.objects.filter(code="A001").exists()


def test_a_partial_file_updates_only_what_it_names_and_may_refer_to_the_database(tmp_path):
    import_text(tmp_path, BASE)
    counts = import_text(
        tmp_path,
        """\
items:
  - {code: A003, name: 食品经营许可, department: A, promised_working_days: 10, produces: null,
     materials: [{material: ID_CARD}]}
sharing_agreements:
  - {consumer: A, registry: POPULATION, purpose: 核验身份并预填, valid_from: 2024-01-01}
""",
    )
    assert counts["items_created"] == 1
    assert counts["sharing_agreements_updated"] == 1
    item = ServiceItem.objects.get(code="A003")
    assert item.kind == "licence"  # the model's default for a key left out
    assert item.requirements.get().is_required is True
    agreement = SharingAgreement.objects.get()
    assert agreement.purpose == "核验身份并预填"
    assert agreement.is_active is True  # left out: kept
    assert ServiceItem.objects.count() == 3


def test_a_key_left_out_keeps_the_current_value(tmp_path):
    import_text(tmp_path, BASE)
    import_text(tmp_path, "departments:\n  - {code: A, name: 成都市市场监督管理局}\n")
    assert Department.objects.get(code="A").credit_code == "11510100MB00153032"
    import_text(
        tmp_path,
        "items:\n  - {code: A002, name: 设立登记, department: A, promised_working_days: 3}\n",
    )
    assert ServiceItem.objects.get(code="A002").requirements.count() == 3


# --- broken files -------------------------------------------------------------------------

BROKEN_FILES = {
    "yaml_syntax": (
        VALID_CHANGES + "items:\n  - {code: A003, name: 食品经营许可\n",
        "catalogue.yaml: line 6, column 1: YAML syntax error: expected ',' or '}', but got "
        "'<stream end>' (while parsing a flow mapping that starts at line 5, column 5)",
    ),
    "yaml_indentation": (
        VALID_CHANGES + "items:\n  - code: A003\n   name: 食品经营许可\n",
        "catalogue.yaml: line 6, column 4: YAML syntax error: expected <block end>, but found "
        "'<block mapping start>' (while parsing a block collection that starts at line 5, column 3)",
    ),
    "top_level_not_a_mapping": (
        "- {code: A, name: 成都市市场监督管理局}\n",
        "catalogue.yaml: the top level must be a mapping of sections (departments, registries, "
        "certificate_types, material_types, items, bundles, sharing_agreements), got a list (line 1)",
    ),
    "unknown_section": (
        VALID_CHANGES + "item:\n  - {code: A003}\n",
        'catalogue.yaml: unknown section "item" (did you mean "items"?); sections are: '
        "departments, registries, certificate_types, material_types, items, bundles, "
        "sharing_agreements (line 5)",
    ),
    "section_not_a_list": (
        VALID_CHANGES + "items:\n  code: A003\n",
        "catalogue.yaml: items: expected a list of entries, got a mapping (line 5)",
    ),
    "entry_not_a_mapping": (
        VALID_CHANGES + "items:\n  - A003\n",
        'catalogue.yaml: items[0]: expected a mapping (key: value pairs), got a string ("A003") (line 5)',
    ),
    "missing_required_key": (
        VALID_CHANGES + "items:\n  - {code: A003, name: 食品经营许可, promised_working_days: 10}\n",
        'catalogue.yaml: items[0] (code "A003"): field "department": missing required key (line 5)',
    ),
    "unknown_key": (
        VALID_CHANGES
        + "items:\n  - {code: A003, name: 食品经营许可, departmnet: A, department: A, promised_working_days: 10}\n",
        'catalogue.yaml: items[0] (code "A003"): field "departmnet": unknown key (did you mean '
        '"department"?); allowed keys: code, name, department, kind, audience, legal_basis, '
        "description, eligibility, promised_working_days, fee, lowest_level, requires_presence, auto_decide, produces, form_fields, "
        "materials (line 5)",
    ),
    "duplicate_key": (
        VALID_CHANGES
        + "items:\n  - {code: A003, name: 食品经营许可, name: 餐饮服务许可, department: A, promised_working_days: 10}\n",
        'catalogue.yaml: items[0] (code "A003"): field "name": key appears more than once in '
        "this entry (line 5)",
    ),
    "wrong_type": (
        VALID_CHANGES
        + "items:\n  - {code: A003, name: 食品经营许可, department: A, promised_working_days: 十}\n",
        'catalogue.yaml: items[0] (code "A003"): field "promised_working_days": expected an '
        'integer, got a string ("十") (line 5)',
    ),
    "boolean_where_a_string_belongs": (
        VALID_CHANGES.replace("code: C", "code: ON"),
        'catalogue.yaml: departments[1]: field "code": expected a string, got a boolean (true); '
        "YAML reads unquoted yes/no/on/off/true/false as booleans, so quote it (line 3)",
    ),
    "invalid_choice": (
        VALID_CHANGES
        + "items:\n  - {code: A003, name: 食品经营许可, department: A, kind: license, promised_working_days: 10}\n",
        'catalogue.yaml: items[0] (code "A003"): field "kind": invalid value "license" (did you '
        'mean "licence"?); expected one of: licence, confirmation, filing, registration, payment, '
        "public_service, other (line 5)",
    ),
    "unknown_reference": (
        VALID_CHANGES
        + "items:\n  - {code: A003, name: 食品经营许可, department: ZZ, promised_working_days: 10}\n",
        'catalogue.yaml: items[0] (code "A003"): field "department": unknown department "ZZ" (line 5)',
    ),
    "unknown_material": (
        VALID_CHANGES
        + "items:\n  - code: A003\n    name: 食品经营许可\n    department: A\n    promised_working_days: 10\n"
        "    materials:\n      - {material: ID_CARD}\n      - {material: HEALTH_CERT}\n",
        'catalogue.yaml: items[0] (code "A003"): field "materials[1].material": unknown material '
        'type "HEALTH_CERT" (line 11)',
    ),
    "unknown_prefill_registry": (
        VALID_CHANGES
        + "items:\n  - code: A003\n    name: 食品经营许可\n    department: A\n    promised_working_days: 10\n"
        "    form_fields: [{name: applicant, label: 申请人, prefill: POPULACE.name}]\n",
        'catalogue.yaml: items[0] (code "A003"): field "form_fields[0].prefill": unknown registry '
        '"POPULACE" (line 9)',
    ),
    "duplicate_code": (
        VALID_CHANGES + "  - {code: A, name: 成都市市场监督管理局（重复）}\n",
        'catalogue.yaml: departments[2] (code "A"): field "code": duplicate code: already '
        'defined at departments[0] (code "A") (line 4)',
    ),
    "duplicate_sharing_agreement": (
        VALID_CHANGES
        + "sharing_agreements:\n"
        + "  - {consumer: A, registry: POPULATION, purpose: 核验身份, valid_from: 2024-01-01}\n"
        + "  - {consumer: A, registry: POPULATION, purpose: 预填, valid_from: 2024-01-01}\n",
        'catalogue.yaml: sharing_agreements[1] (consumer "A", registry "POPULATION"): field '
        '"registry": duplicate consumer and registry: already defined at sharing_agreements[0] '
        '(consumer "A", registry "POPULATION") (line 6)',
    ),
    "duplicate_material_in_an_item": (
        VALID_CHANGES
        + "items:\n  - code: A003\n    name: 食品经营许可\n    department: A\n    promised_working_days: 10\n"
        "    materials: [{material: ID_CARD}, {material: ID_CARD, note: 复印件}]\n",
        'catalogue.yaml: items[0] (code "A003"): field "materials[1].material": material '
        '"ID_CARD" is already listed at materials[0] (line 9)',
    ),
    "model_validation_department_code": (
        VALID_CHANGES + "  - {code: Xy, name: 成都市交通运输局}\n",
        'catalogue.yaml: departments[2] (code "Xy"): field "code": '
        "部门代码是一到两个大写字母（成都式编码 A..AO）。 (line 4)",
    ),
    "model_validation_credit_code": (
        VALID_CHANGES + "  - {code: M, name: 成都市交通运输局, credit_code: 11510100MB004062FE}\n",
        'catalogue.yaml: departments[2] (code "M"): field "credit_code": '
        "统一社会信用代码校验码错误：最后一位应为 D，而不是 E。请核对代码。 (line 4)",
    ),
    "model_validation_in_person_item_decided_automatically": (
        VALID_CHANGES
        + "items:\n  - {code: B001, name: 居民身份证申领, department: A, promised_working_days: 20, "
        "requires_presence: true, auto_decide: true}\n",
        'catalogue.yaml: items[0] (code "B001"): field "auto_decide": must be false when '
        "requires_presence is true: an item that needs the applicant in person cannot be decided "
        "automatically (line 5)",
    ),
    "model_validation_fee_precision": (
        VALID_CHANGES
        + 'items:\n  - {code: A003, name: 食品经营许可, department: A, promised_working_days: 10, fee: "1.005"}\n',
        'catalogue.yaml: items[0] (code "A003"): field "fee": 确认小数不超过 2 位. (line 5)',  # Django's own message
    ),
    "model_validation_sharing_dates": (
        VALID_CHANGES
        + "sharing_agreements:\n  - {consumer: A, registry: POPULATION, purpose: 核验身份, "
        "valid_from: 2024-01-01, valid_until: 2023-01-01}\n",
        'catalogue.yaml: sharing_agreements[0] (consumer "A", registry "POPULATION"): field '
        '"valid_until": must not be before valid_from (line 5)',
    ),
}


@pytest.mark.parametrize(("text", "expected"), BROKEN_FILES.values(), ids=BROKEN_FILES.keys())
def test_a_broken_file_is_rejected_with_a_precise_message_and_nothing_is_written(
    tmp_path, text, expected
):
    import_text(tmp_path, BASE)
    before = snapshot()
    with pytest.raises(CatalogueError) as caught:
        import_text(tmp_path, text)
    assert expected in caught.value.messages, "\n".join(caught.value.messages)
    assert snapshot() == before
    assert Department.objects.get(code="A").name == "成都市市场监督管理局"
    assert not Department.objects.filter(code="C").exists()


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    text = """\
departments:
  - {code: A, name: 成都市市场监督管理局, level: metropolis}
items:
  - {code: A001, name: 企业名称预先核准, department: ZZ, promised_working_days: 1}
  - {code: A002, name: 设立登记, department: A, promised_working_days: 3, produces: LICENCE}
  - {code: A002, name: 设立登记, department: A, promised_working_days: -1}
"""
    with pytest.raises(CatalogueError) as caught:
        import_text(tmp_path, text)
    assert caught.value.messages == [
        'catalogue.yaml: departments[0] (code "A"): field "level": invalid value "metropolis"; '
        "expected one of: city, county, town, village (line 2)",
        'catalogue.yaml: items[0] (code "A001"): field "department": unknown department "ZZ" (line 4)',
        'catalogue.yaml: items[1] (code "A002"): field "produces": unknown certificate type '
        '"LICENCE" (line 5)',
        'catalogue.yaml: items[2] (code "A002"): field "code": duplicate code: already defined at '
        'items[1] (code "A002") (line 6)',
    ]
    assert Department.objects.count() == 0


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(CatalogueError) as caught:
        catalogue_import(path=tmp_path / "nowhere.yaml")
    assert caught.value.messages == [f"nowhere.yaml: file not found: {tmp_path / 'nowhere.yaml'}"]


def test_an_empty_file_is_reported(tmp_path):
    with pytest.raises(CatalogueError) as caught:
        import_text(tmp_path, "# nothing yet\n")
    assert caught.value.messages == [
        "catalogue.yaml: the file is empty; expected a mapping of sections"
    ]


# --- management commands ----------------------------------------------------------------------


def test_import_command_prints_the_counts(tmp_path):
    out = io.StringIO()
    call_command("import_catalogue", str(write(tmp_path, BASE)), stdout=out)
    output = out.getvalue()
    assert "departments: 2 created, 0 updated, 0 unchanged" in output
    assert "items: 2 created, 0 updated, 0 unchanged" in output
    assert ServiceItem.objects.count() == 2


def test_import_command_turns_problems_into_a_command_error(tmp_path):
    path = write(tmp_path, BROKEN_FILES["unknown_reference"][0])
    with pytest.raises(CommandError) as caught:
        call_command("import_catalogue", str(path))
    message = str(caught.value)
    assert "nothing was written (1 problem)" in message
    assert BROKEN_FILES["unknown_reference"][1] in message
    assert Department.objects.count() == 0


def test_export_command_prints_to_stdout_or_writes_the_file(tmp_path):
    import_text(tmp_path, BASE)
    out = io.StringIO()
    call_command("export_catalogue", stdout=out)
    assert out.getvalue() == catalogue_export()

    target = tmp_path / "exported.yaml"
    call_command("export_catalogue", str(target), stdout=io.StringIO())
    assert target.read_text(encoding="utf-8") == catalogue_export()


def test_export_command_reports_an_unwritable_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_catalogue", str(tmp_path / "missing-dir" / "out.yaml"))
