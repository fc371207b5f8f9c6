"""/window/lottery/: a clerk or a village agent takes a lottery application for the person
at the window; refusals show the service's message and write nothing."""

from __future__ import annotations

import pytest

from cases.constants import IdType
from lottery.constants import Channel
from lottery.models import Application
from tests.factories import resident_id
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db

URL = "/window/lottery/"


def form(round_, n=1, **changes):
    return {
        "round_code": round_.code,
        "id_type": IdType.RESIDENT_ID,
        "id_number": resident_id(n),
        "name": "𠮷祥",
        "phone": "13800000000",
        **changes,
    }


def test_a_clerk_takes_an_application_at_the_window(client, clerk, open_round):
    round_ = open_round()
    sign_in(client, clerk)
    page = client.get(URL)
    assert page.status_code == 200 and round_.code in page.content.decode()
    answer = client.post(URL, form(round_), follow=True)
    application = Application.objects.get()
    assert (application.channel, application.submitted_by) == (Channel.WINDOW, clerk)
    assert application.applicant.name == "𠮷祥"
    text = answer.content.decode()
    assert application.application_no in text and application.lottery_code in text
    assert "𠮷" in text  # the masked name keeps the rare first character


def test_an_agent_applies_on_the_agent_channel(client, agent, open_round):
    round_ = open_round()
    sign_in(client, agent)
    client.post(URL, form(round_))
    assert Application.objects.get().channel == Channel.AGENT


def test_a_second_application_names_the_first_and_a_bad_id_writes_nothing(
    client, clerk, open_round
):
    round_ = open_round()
    sign_in(client, clerk)
    client.post(URL, form(round_))
    first = Application.objects.get()
    again = client.post(URL, form(round_), follow=True)
    assert first.application_no in again.content.decode()
    bad = client.post(URL, form(round_, id_number="110101199003070000"))
    assert bad.status_code == 200
    assert "校验" in bad.content.decode()
    assert Application.objects.count() == 1


def test_a_reviewer_or_a_citizen_cannot_take_applications(client, reviewer, open_round):
    round_ = open_round()
    assert client.get(URL).status_code == 302  # to the sign-in page
    sign_in(client, reviewer)
    assert client.post(URL, form(round_)).status_code == 403
    assert not Application.objects.exists()
