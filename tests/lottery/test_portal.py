"""/me/lottery/: the signed-in applicant applies, sees their own applications (state,
weight, lottery code, every failed rule's reason) and appeals an ineligible verdict.
Never anyone else's application; a refusal says why and changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from lottery import demo
from lottery.constants import ApplicationState, Channel
from lottery.models import Application
from lottery.services.verification import round_verification_start
from tests.citizens.conftest import sign_in_as
from tests.factories import ApplicantFactory, resident_id
from tests.lottery.conftest import records_set

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def citizen(lottery_world):
    """Person 1, with the demo's eligible records."""
    subject = resident_id(1)
    records_set(lottery_world.registries, subject, demo.eligible_person_records())
    return ApplicantFactory(id_number=subject, name="王小明", phone="13912345678")


@pytest.fixture
def citizen_client(client, citizen):
    return sign_in_as(client, citizen)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_signed_out_visitors_are_sent_to_sign_in(client, lottery_world, open_round):
    round_ = open_round()
    for response in (
        client.get(reverse("lottery:me")),
        client.post(reverse("lottery:me_apply", args=[round_.code])),
    ):
        assert response.status_code == 302 and response.url == reverse("citizens:sign_in")
    assert not Application.objects.exists()


def test_an_open_round_is_offered_and_applying_uses_the_signed_in_applicant(
    citizen_client, citizen, open_round
):
    round_ = open_round()
    html = citizen_client.get(reverse("lottery:me")).content.decode()
    assert round_.name in html
    assert reverse("lottery:me_apply", args=[round_.code]) in html

    response = citizen_client.post(reverse("lottery:me_apply", args=[round_.code]))
    assert response.status_code == 302 and response.url == reverse("lottery:me")
    application = Application.objects.get()
    assert application.applicant == citizen
    assert application.channel == Channel.ONLINE
    [message] = _messages(response)
    assert application.application_no in message and application.lottery_code in message

    html = citizen_client.get(reverse("lottery:me")).content.decode()
    assert application.application_no in html and application.lottery_code in html
    assert application.get_state_display() in html
    assert reverse("lottery:me_apply", args=[round_.code]) not in html  # applied already


def test_a_second_application_shows_the_first_ones_number(citizen_client, open_round):
    round_ = open_round()
    citizen_client.post(reverse("lottery:me_apply", args=[round_.code]))
    first = Application.objects.get()
    citizen_client.get(reverse("lottery:me"))  # the first answer's message is read
    response = citizen_client.post(reverse("lottery:me_apply", args=[round_.code]))
    [message] = _messages(response)
    assert "已申请本轮" in message and first.application_no in message
    assert Application.objects.count() == 1


def test_applying_to_a_closed_round_is_refused_with_its_reason(citizen_client, open_round, closed):
    round_ = closed(open_round())
    response = citizen_client.post(reverse("lottery:me_apply", args=[round_.code]))
    assert _messages(response) == ["本轮不在申请期内。"]
    assert not Application.objects.exists()


def test_an_unknown_round_is_404(citizen_client, lottery_world):
    assert citizen_client.post(reverse("lottery:me_apply", args=["NO-SUCH"])).status_code == 404


def test_the_verdict_shows_every_failed_rule_and_an_appeal_that_rereads_the_registries(
    citizen_client, citizen, lottery_world, open_round, closed
):
    records_set(lottery_world.registries, citizen.id_number, {"DRIVING_LICENCE": None})
    round_ = open_round()
    citizen_client.post(reverse("lottery:me_apply", args=[round_.code]), follow=True)
    round_verification_start(round_=closed(round_))
    application = Application.objects.get()
    assert application.state == ApplicationState.INELIGIBLE

    html = citizen_client.get(reverse("lottery:me")).content.decode()
    for reason in application.reasons:
        assert reason["message"] in html
    appeal_url = reverse("lottery:me_appeal", args=[application.application_no])
    assert appeal_url in html and "申请复核" in html

    # The licence bureau corrects its data; the appeal reads it again now.
    records_set(
        lottery_world.registries,
        citizen.id_number,
        {"DRIVING_LICENCE": demo.eligible_person_records()["DRIVING_LICENCE"]},
    )
    response = citizen_client.post(appeal_url, {"note": "驾驶证已换领"})
    assert any("复核通过" in message for message in _messages(response))
    application.refresh_from_db()
    assert application.state == ApplicationState.ELIGIBLE
    assert application.appeal_note == "驾驶证已换领" and application.reasons == []
    assert appeal_url not in citizen_client.get(reverse("lottery:me")).content.decode()


def test_an_appeal_still_failing_goes_to_the_officer(
    citizen_client, citizen, lottery_world, open_round, closed
):
    records_set(lottery_world.registries, citizen.id_number, {"VEHICLE": {"passenger_cars": 1}})
    round_ = open_round()
    citizen_client.post(reverse("lottery:me_apply", args=[round_.code]), follow=True)
    round_verification_start(round_=closed(round_))
    application = Application.objects.get()
    response = citizen_client.post(reverse("lottery:me_appeal", args=[application.application_no]))
    assert any("人工复核" in message for message in _messages(response))
    application.refresh_from_db()
    assert application.state == ApplicationState.APPEALED


def test_an_appeal_of_an_eligible_application_is_refused_and_changes_nothing(
    citizen_client, open_round, closed
):
    round_ = open_round()
    citizen_client.post(reverse("lottery:me_apply", args=[round_.code]), follow=True)
    round_verification_start(round_=closed(round_))
    application = Application.objects.get()
    assert application.state == ApplicationState.ELIGIBLE
    response = citizen_client.post(reverse("lottery:me_appeal", args=[application.application_no]))
    assert _messages(response) == ["只有审核未通过的申请可以申请复核。"]
    application.refresh_from_db()
    assert application.state == ApplicationState.ELIGIBLE and application.appealed_at is None


def test_a_citizen_never_sees_or_appeals_another_applicants_application(
    citizen_client, lottery_world, open_round, person_apply, closed
):
    round_ = open_round()
    other = person_apply(round_, 7, records={"POPULATION": None})
    round_verification_start(round_=closed(round_))
    other.refresh_from_db()
    assert other.state == ApplicationState.INELIGIBLE

    html = citizen_client.get(reverse("lottery:me")).content.decode()
    assert other.application_no not in html and other.lottery_code not in html
    response = citizen_client.post(
        reverse("lottery:me_appeal", args=[other.application_no]), {"note": "x"}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.state == ApplicationState.INELIGIBLE and other.appealed_at is None


def test_the_personal_space_links_to_the_lottery(citizen_client):
    html = citizen_client.get(reverse("citizens:me")).content.decode()
    assert reverse("lottery:me") in html


def test_the_page_costs_a_fixed_number_of_queries(
    citizen_client, open_round, django_assert_max_num_queries
):
    url = reverse("lottery:me")
    for n in range(2):
        round_ = open_round(code=f"2026-{n}")
        citizen_client.post(reverse("lottery:me_apply", args=[round_.code]), follow=True)
    open_round(code="2026-OPEN")
    citizen_client.get(url)
    with django_assert_max_num_queries(10) as few:
        citizen_client.get(url)
    # Read now: every request made below starts a new query log.
    baseline = len(few.captured_queries)
    for n in range(2, 8):
        round_ = open_round(code=f"2026-{n}")
        citizen_client.post(reverse("lottery:me_apply", args=[round_.code]), follow=True)
    with django_assert_max_num_queries(baseline):
        html = citizen_client.get(url).content.decode()
    assert html.count("data-application=") == 8
