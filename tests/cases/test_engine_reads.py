"""The approval engine's plain-SQL reads give what their querysets give (on SQLite and on
PostgreSQL): the same rows in the same order, every column with the same value and type,
the same related rows already attached, and the same refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.constants import ApprovalState, CaseState
from cases.models import Approval, Case
from cases.selectors.engine import (
    approval_dependents_for_update,
    approval_with_context,
    case_approval_states,
    case_event_exists,
    case_items,
    case_requirements,
    item_requirements,
    row_for_update,
)
from cases.selectors.rows import Joined
from certificates.models import Certificate
from departments.models import MaterialRequirement, ServiceItem
from tests.factories import (
    ApprovalFactory,
    BundleFactory,
    CaseFactory,
    CertificateFactory,
    CertificateTypeFactory,
    MaterialRequirementFactory,
    MaterialTypeFactory,
    RegistryFactory,
    ServiceItemFactory,
)

pytestmark = pytest.mark.django_db


def columns(instance) -> list[tuple[str, object, type]]:
    """Every column's value, and its type (a float for a Decimal would not do)."""
    return [
        (field.attname, getattr(instance, field.attname), type(getattr(instance, field.attname)))
        for field in instance._meta.concrete_fields
    ]


def assert_same(ours: list, theirs: list, related: list[str]) -> None:
    """Same rows in the same order, same columns, and the ``select_related`` rows of
    ``related`` (paths like ``item__produces``) attached: reading them runs no query."""
    assert [row.pk for row in ours] == [row.pk for row in theirs]
    for mine, expected in zip(ours, theirs, strict=True):
        assert type(mine) is type(expected)
        assert columns(mine) == columns(expected)
        assert (mine._state.adding, mine._state.db) == (False, "default")
        with CaptureQueriesContext(connection) as queries:
            for path in related:
                mine_node, expected_node = mine, expected
                for name in path.split("__"):
                    mine_node = getattr(mine_node, name)
                    expected_node = getattr(expected_node, name)
                    if expected_node is None:
                        assert mine_node is None
                        break
                    assert columns(mine_node) == columns(expected_node)
        assert queries.captured_queries == []


@pytest.fixture
def engine_world():
    """Two cases: one in a bundle with three items (one produces a certificate another
    needs, one produces nothing), one alone; requirements with and without a registry."""
    registry = RegistryFactory()
    licence = CertificateTypeFactory(validity_days=365)
    first = ServiceItemFactory(code="B-ITEM", produces=licence, fee=Decimal("12.50"))
    second = ServiceItemFactory(code="A-ITEM", fee=Decimal("0.10"))
    third = ServiceItemFactory(code="C-ITEM", produces=CertificateTypeFactory())
    for item, material, position in [
        (second, MaterialTypeFactory(satisfied_by=licence), 2),
        (second, MaterialTypeFactory(verifiable_by=registry), 1),
        (first, MaterialTypeFactory(verifiable_by=registry), 0),
        (third, MaterialTypeFactory(), 0),
    ]:
        MaterialRequirementFactory(item=item, material_type=material, position=position)
    bundled = CaseFactory(
        state=CaseState.IN_REVIEW, bundle=BundleFactory(), items=[first, second, third]
    )
    alone = CaseFactory(state=CaseState.IN_REVIEW, items=[third])
    approvals = {
        item.code: ApprovalFactory(case=bundled, item=item, state=state, checks=[{"名": "𠮷"}])
        for item, state in [
            (first, ApprovalState.APPROVED),
            (second, ApprovalState.WAITING),
            (third, ApprovalState.PENDING),
        ]
    }
    ApprovalFactory(case=alone, item=third, started_at=timezone.now())
    return {"cases": (bundled, alone), "items": (first, second, third), "approvals": approvals}


def test_case_items_are_the_querysets(engine_world):
    for case in engine_world["cases"]:
        expected = list(
            ServiceItem.objects.filter(cases__id=case.pk).select_related("department", "produces")
        )
        ours = case_items(case_id=case.pk)
        assert [item.code for item in ours] == sorted(item.code for item in ours)
        assert_same(ours, expected, ["department", "produces"])
    assert case_items(case_id=987654321) == []


def test_case_requirements_are_the_querysets(engine_world):
    for case in engine_world["cases"]:
        expected = list(
            MaterialRequirement.objects.filter(item__cases__id=case.pk).select_related(
                "material_type"
            )
        )
        assert len(expected) > 0
        assert_same(case_requirements(case_id=case.pk), expected, ["material_type"])


def test_item_requirements_are_the_querysets(engine_world):
    for item in engine_world["items"]:
        expected = list(
            MaterialRequirement.objects.filter(item_id=item.pk)
            .select_related("material_type__verifiable_by")
            .order_by("id")
        )
        assert_same(item_requirements(item_id=item.pk), expected, ["material_type__verifiable_by"])


def test_the_approval_with_its_context_is_the_querysets(engine_world):
    related = [
        "item__produces__issuing_department",
        "department",
        "case__applicant",
        "case__bundle",
    ]
    for approval in Approval.objects.all():
        expected = Approval.objects.select_related(*related).get(pk=approval.pk)
        assert_same([approval_with_context(approval_id=approval.pk)], [expected], related)
    with pytest.raises(Approval.DoesNotExist, match="Approval matching query does not exist"):
        approval_with_context(approval_id=987654321)


def test_the_approval_states_and_fees_are_the_querysets(engine_world):
    for case in engine_world["cases"]:
        expected = list(Approval.objects.filter(case_id=case.pk).values_list("state", "item__fee"))
        ours = case_approval_states(case_id=case.pk)
        assert ours == expected
        assert [type(fee) for _state, fee in ours] == [Decimal] * len(expected)
    assert case_approval_states(case_id=987654321) == []


def test_whether_a_case_has_an_event_is_the_querysets(engine_world):
    from cases.models import CaseEvent

    first, second = engine_world["cases"][:2]
    CaseEvent.objects.create(case=first, kind="note", name="registry_override")
    for case in (first, second):
        for name in ("registry_override", "submit", "never"):
            expected = CaseEvent.objects.filter(case_id=case.pk, name=name).exists()
            assert case_event_exists(case_id=case.pk, name=name) is expected
    assert case_event_exists(case_id=first.pk, name="registry_override") is True
    assert case_event_exists(case_id=second.pk, name="registry_override") is False


def test_the_dependents_are_the_querysets_and_say_what_else_they_wait_for(engine_world):
    approvals = engine_world["approvals"]
    waiting, granted, open_one = approvals["A-ITEM"], approvals["B-ITEM"], approvals["C-ITEM"]
    waiting.waits_for.add(granted)
    # One more waiting approval, in another case, that waits for the granted one and for
    # one still open: not yet free.
    other_case = CaseFactory(state=CaseState.IN_REVIEW)
    both = ApprovalFactory(case=other_case, state=ApprovalState.WAITING)
    both.waits_for.add(granted, open_one)
    # Waiting for it, but not WAITING any more: not a dependent.
    ApprovalFactory(case=other_case, state=ApprovalState.PENDING).waits_for.add(granted)

    with transaction.atomic():
        ours = approval_dependents_for_update(approval_id=granted.pk)
        expected = list(
            Approval.objects.filter(waits_for__id=granted.pk, state=ApprovalState.WAITING)
            .annotate(
                not_yet=Exists(
                    Approval.waits_for.through.objects.filter(from_approval=OuterRef("pk")).exclude(
                        to_approval__state=ApprovalState.APPROVED
                    )
                )
            )
            .select_related("item")
            .select_for_update(of=("self",))
            .order_by("id")
        )
    assert_same(ours, expected, ["item"])
    assert [dependent.not_yet for dependent in ours] == [False, True]
    assert [dependent.not_yet for dependent in ours] == [row.not_yet for row in expected]
    with transaction.atomic():
        assert approval_dependents_for_update(approval_id=open_one.pk)[0].pk == both.pk
        assert approval_dependents_for_update(approval_id=987654321) == []


@pytest.mark.parametrize("model", [Case, Approval, Certificate])
def test_a_locked_row_is_the_querysets(model, engine_world):
    CertificateFactory(valid_until=timezone.localdate() + dt.timedelta(days=30))
    for row in model.objects.all():
        with transaction.atomic():
            ours = row_for_update(model=model, pk=row.pk)
            expected = model.objects.select_for_update().get(pk=row.pk)
        assert_same([ours], [expected], [])
    with (
        transaction.atomic(),
        pytest.raises(model.DoesNotExist, match="matching query does not exist"),
    ):
        row_for_update(model=model, pk=987654321)


def test_a_locked_row_is_locked_where_the_backend_locks_rows():
    case = CaseFactory()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        row_for_update(model=Case, pk=case.pk)
        approval_dependents_for_update(approval_id=987654321)
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 2
    if connection.features.has_select_for_update:
        assert reads[0].endswith(" FOR UPDATE")
        assert reads[1].endswith(' FOR UPDATE OF "approval"')
    else:  # SQLite: its IMMEDIATE transactions serialise writers instead
        assert all("FOR UPDATE" not in sql for sql in reads)


def test_a_locked_state_changes_and_saves_like_one_the_orm_read(clerk):
    """The instance is the model's own (django-fsm's protected state, its concurrency
    mixin): a transition on it saves, and a second save of it is not refused."""
    case = CaseFactory(state=CaseState.SUBMITTED)
    with transaction.atomic():
        locked = row_for_update(model=Case, pk=case.pk)
        with pytest.raises(AttributeError):
            locked.state = CaseState.CLOSED  # protected, as on a row the ORM read
        locked.accept(due_date=timezone.localdate())
        locked.save()
        locked.save(update_fields=["form_data", "updated_at"])
    assert Case.objects.get(pk=case.pk).state == CaseState.ACCEPTED


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_outside_a_transaction_is_refused_on_every_backend():
    case = CaseFactory()
    with pytest.raises(TransactionManagementError):
        row_for_update(model=Case, pk=case.pk)
    with pytest.raises(TransactionManagementError):
        approval_dependents_for_update(approval_id=1)
    with transaction.atomic():
        assert row_for_update(model=Case, pk=case.pk) == case


def test_a_read_joins_only_forward_keys_and_distinct_aliases():
    with pytest.raises(ValueError, match="not a forward foreign key"):
        Joined(Case, "case_row", related={"approvals": Joined(Approval, "approval")})
    with pytest.raises(ValueError, match="points to"):
        Joined(Approval, "approval", related={"item": Joined(Case, "case_row")})
    with pytest.raises(ValueError, match="aliases repeat"):
        Joined(Approval, "approval", related={"case": Joined(Case, "approval")})
