"""好差评: a closed case is rated once; a bad rating opens a rectification in supervision."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cases.constants import ApprovalState, CaseState
from cases.models import CaseEvent, Rating
from cases.workdays import add_working_days
from citizens.exceptions import RatingError
from citizens.services.rating import rating_create
from departments.constants import Role
from supervision.models import Rectification
from tests.factories import (
    ApprovalFactory,
    CaseFactory,
    DepartmentFactory,
    ServiceItemFactory,
    StaffFactory,
)


@pytest.fixture
def closed_case(owner, item):
    clerk = StaffFactory(username="clerk_rating", role=Role.CLERK)
    case = CaseFactory(applicant=owner, state=CaseState.CLOSED, items=[item], created_by=clerk)
    ApprovalFactory(case=case, item=item, state=ApprovalState.APPROVED)
    second = ServiceItemFactory(
        code="B005", department=DepartmentFactory(code="B", name="成都市公安局")
    )
    ApprovalFactory(case=case, item=second, state=ApprovalState.APPROVED)
    return case


def rate(client, case, level, comment=""):
    return client.post(
        reverse("citizens:me_case_rate", args=[case.tracking_no]),
        {"level": level, "comment": comment},
    )


def test_a_closed_case_is_rated_once_through_the_page(owner_client, closed_case):
    page = owner_client.get(reverse("citizens:me_case", args=[closed_case.tracking_no]))
    assert "评价本次服务" in page.content.decode()
    response = rate(owner_client, closed_case, 5, "一次办好，没有跑腿")
    assert response.status_code == 302
    rating = Rating.objects.get(case=closed_case)
    assert (rating.level, rating.comment) == (5, "一次办好，没有跑腿")
    again = rate(owner_client, closed_case, 1, "再评一次")
    assert again.status_code == 400
    assert "该办件已经评价过，每个办件只能评价一次。" in again.content.decode()
    assert Rating.objects.filter(case=closed_case).count() == 1
    assert Rating.objects.get(case=closed_case).level == 5
    page = owner_client.get(reverse("citizens:me_case", args=[closed_case.tracking_no]))
    assert "您的评价" in page.content.decode() and "评价本次服务" not in page.content.decode()


def test_the_database_allows_one_rating_per_case(closed_case):
    Rating.objects.create(case=closed_case, level=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(case=closed_case, level=2)


def test_the_rating_is_tied_to_the_case_departments_and_clerk(owner, closed_case):
    rating = rating_create(case=closed_case, applicant=owner, level=4, comment="")
    event = CaseEvent.objects.get(case=closed_case, name="rate")
    assert event.data == {
        "rating": rating.pk,
        "level": 4,
        "departments": ["B", "I"],
        "clerk": closed_case.created_by_id,
    }
    assert event.is_public and event.actor_label == "applicant"


@pytest.mark.parametrize(
    "state", [CaseState.IN_REVIEW, CaseState.ISSUED, CaseState.IN_DELIVERY, CaseState.WITHDRAWN]
)
def test_only_a_closed_case_can_be_rated(owner, item, state):
    case = CaseFactory(applicant=owner, state=state, items=[item])
    with pytest.raises(RatingError, match="办件办结后才能评价。"):
        rating_create(case=case, applicant=owner, level=5)
    assert not Rating.objects.exists()


@pytest.mark.parametrize("level", [0, 6, "abc", None])
def test_the_level_is_one_to_five(owner, closed_case, level):
    with pytest.raises(RatingError, match="请在1至5级中选择一个评价。"):
        rating_create(case=closed_case, applicant=owner, level=level)
    assert not Rating.objects.exists()


def test_someone_else_cannot_rate_the_case(stranger, closed_case):
    with pytest.raises(RatingError, match="只能评价本人的办件。"):
        rating_create(case=closed_case, applicant=stranger, level=1, comment="x")
    assert not Rating.objects.exists()


@pytest.mark.parametrize("level", [1, 2])
def test_a_bad_rating_opens_a_rectification_due_in_15_working_days(
    owner_client, closed_case, level
):
    assert rate(owner_client, closed_case, level, "窗口让我跑了三次").status_code == 302
    rectification = Rectification.objects.get(rating__case=closed_case)
    assert rectification.due_date == add_working_days(timezone.localdate(), 15)


@pytest.mark.parametrize("level", [3, 4, 5])
def test_a_fair_or_good_rating_opens_none(owner, closed_case, level):
    rating_create(case=closed_case, applicant=owner, level=level)
    assert not Rectification.objects.exists()


def test_a_bad_rating_needs_a_reason(owner, closed_case):
    with pytest.raises(RatingError, match="不满意的评价请写明原因"):
        rating_create(case=closed_case, applicant=owner, level=1, comment="  ")
    assert not Rating.objects.exists()
