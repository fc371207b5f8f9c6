"""A round from the first application to the draw, through the services (embedded mode:
the verification's outbox jobs run in-process after commit)."""

from __future__ import annotations

import pytest

from lottery.constants import ApplicationState
from lottery.draw import pool_parse, winners
from lottery.models import Application
from lottery.services.errors import AlreadyAppliedError, SeedMismatchError
from lottery.services.rounds import round_draw
from lottery.services.verification import round_progress, round_verification_start
from sharing.models import BatchReadSubject
from tests.lottery.conftest import SEED_HEX

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_round_from_applications_to_the_draw(
    open_round, person_apply, organisation_apply, closed
):
    round_ = open_round(quota=2)
    eligible = [person_apply(round_, n) for n in range(3)]
    no_licence = person_apply(round_, 10, records={"DRIVING_LICENCE": None})
    has_car = person_apply(round_, 11, records={"VEHICLE": {"passenger_cars": 1}})
    company = organisation_apply(round_, 1)
    with pytest.raises(AlreadyAppliedError) as again:
        person_apply(round_, 0)
    assert again.value.application_no == eligible[0].application_no

    round_ = closed(round_)
    start = round_verification_start(round_=round_)
    assert start.applications == 6

    states = dict(Application.objects.values_list("application_no", "state"))
    assert states[no_licence.application_no] == ApplicationState.INELIGIBLE
    assert states[has_car.application_no] == ApplicationState.INELIGIBLE
    assert states[company.application_no] == ApplicationState.ELIGIBLE
    assert all(states[a.application_no] == ApplicationState.ELIGIBLE for a in eligible)
    reasons = Application.objects.get(pk=no_licence.pk).reasons
    assert {r["rule"] for r in reasons} == {"LICENCE_STATUS", "LICENCE_VALID"}
    assert "没有申请人的记录" in reasons[0]["message"]
    # One log row per person per registry read: 5 persons × 5 registries + 1 × 3.
    assert BatchReadSubject.objects.count() == 5 * 5 + 3
    assert round_progress(round_=round_).unfinished == 0

    round_.refresh_from_db()
    assert round_.pool_entries == 4 and len(round_.pool_sha256) == 64

    with pytest.raises(SeedMismatchError):
        round_draw(round_=round_, seed_hex="00" * 32)
    round_.refresh_from_db()
    assert round_.drawn_at is None and round_.appeals_closed_at is None

    drawn = round_draw(round_=round_, seed_hex=SEED_HEX)
    from django.core.files.storage import default_storage

    with default_storage.open(drawn.pool_file, "rb") as pool:
        expected = winners(seed=bytes.fromhex(SEED_HEX), pool=pool_parse(pool), quota=2)
    won = list(
        Application.objects.filter(state=ApplicationState.WON)
        .order_by("draw_rank")
        .values_list("lottery_code", flat=True)
    )
    assert won == expected
    assert Application.objects.filter(state=ApplicationState.NOT_WON).count() == 2
