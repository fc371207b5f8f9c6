from __future__ import annotations

import re

import pytest
from django.utils import timezone

from cases.constants import CaseState, Channel
from cases.models import Case, CaseEvent
from cases.services.intake import EmptyCaseError, case_accept, case_create, case_submit
from cases.services.numbers import TRACKING_ALPHABET, sequence_next, tracking_number_new
from cases.workdays import add_working_days
from tests.concurrency import race
from tests.factories import ApplicantFactory, BundleFactory, ServiceItemFactory


@pytest.mark.django_db
def test_a_case_is_created_in_draft_with_the_bundles_items(clerk):
    items = [ServiceItemFactory() for _ in range(3)]
    bundle = BundleFactory(with_items=items)
    case = case_create(applicant=ApplicantFactory(name="𠮷野家"), bundle=bundle, created_by=clerk)
    assert case.state == CaseState.DRAFT
    assert set(case.items.all()) == set(items)
    assert Case.objects.get(pk=case.pk).applicant.name == "𠮷野家"
    assert CaseEvent.objects.get(case=case).name == "create"


@pytest.mark.django_db
def test_an_empty_case_is_refused_and_nothing_is_written():
    with pytest.raises(EmptyCaseError) as error:
        case_create(applicant=ApplicantFactory(), items=[])
    assert "至少选择一个事项" in str(error.value)
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_the_same_idempotency_key_gives_the_same_case():
    applicant, item = ApplicantFactory(), ServiceItemFactory()
    first = case_create(
        applicant=applicant, items=[item], channel=Channel.ONLINE, idempotency_key="k-1"
    )
    second = case_create(
        applicant=applicant, items=[item], channel=Channel.ONLINE, idempotency_key="k-1"
    )
    assert first.pk == second.pk
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_accepting_sets_the_promised_date_from_the_slowest_item(clerk):
    items = [ServiceItemFactory(promised_working_days=days) for days in (1, 7, 3)]
    case = case_submit(
        case=case_create(applicant=ApplicantFactory(), items=items, created_by=clerk), actor=clerk
    )
    case = case_accept(case=case, actor=clerk)
    assert case.due_date == add_working_days(timezone.localdate(), 7)


def test_tracking_numbers_are_dated_random_and_unambiguous():
    numbers = {tracking_number_new() for _ in range(2000)}
    assert len(numbers) == 2000
    today = timezone.localdate().strftime("%y%m%d")
    for number in numbers:
        assert re.fullmatch(rf"{today}[{TRACKING_ALPHABET}]{{8}}", number)
        assert not set("ILOU") & set(number[6:])


@pytest.mark.django_db(transaction=True)
def test_sequences_never_repeat_under_concurrency():
    outcomes = race([lambda: sequence_next(name="certificate:TEST") for _ in range(8)])
    assert sorted(outcomes) == list(range(1, 9)), outcomes
