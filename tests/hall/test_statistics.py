"""The halls' figures on the supervision dashboard (issue 17.6): tickets per hour, the wait
on average and at the 90th percentile, service time per queue, the no-show rate, per
centre one level down, for the supervisor's part of the network."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from departments.constants import Role
from hall.models import Ticket
from hall.services.calling import (
    ticket_call_next,
    ticket_done,
    ticket_no_show,
    ticket_recall,
    ticket_start,
)
from hall.services.tickets import ticket_take
from supervision.selectors.centres import centre_children
from supervision.selectors.hall import hall_figures
from tests.factories import StaffFactory
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db


def _served(window, clerk, *, waited: int, served: int) -> Ticket:  # type: ignore[no-untyped-def]
    """The next ticket called after ``waited`` minutes and served for ``served`` minutes."""
    ticket = ticket_call_next(window=window, user=clerk)
    assert Ticket.objects.get(pk=ticket.pk).wait_seconds < 60  # kept when first called
    Ticket.objects.filter(pk=ticket.pk).update(wait_seconds=waited * 60)
    ticket = ticket_start(ticket=ticket, user=clerk)
    Ticket.objects.filter(pk=ticket.pk).update(
        served_at=timezone.now() - dt.timedelta(minutes=served)
    )
    return ticket_done(ticket=Ticket.objects.get(pk=ticket.pk), user=clerk, cases=[])


def test_the_figures_of_a_county_and_its_towns(network, queue, window, hall_clerk):
    qc, town = hall_clerk("QC"), hall_clerk("QCGJ")
    for _ in range(3):
        ticket_take(queue=queue("QC", "A"))
    ticket_take(queue=queue("QCGJ", "A"))
    ticket_take(queue=queue("QCGJ", "A"))
    ticket_take(queue=queue("GY", "A"))  # another county: not counted
    done_a = _served(window("QC", 1), qc, waited=4, served=10)
    done_b = _served(window("QC", 1), qc, waited=12, served=20)
    assert (done_a.service_seconds, done_b.service_seconds) == (600, 1200)
    missed = ticket_call_next(window=window("QCGJ", 1), user=town)
    Ticket.objects.filter(pk=missed.pk).update(wait_seconds=30 * 60)
    missed = ticket_recall(ticket=missed, user=town)
    missed = ticket_recall(ticket=missed, user=town)
    ticket_no_show(ticket=missed, user=town)

    figures = hall_figures(centre_path=network["QC"].path, children=centre_children(network["QC"]))
    assert figures.tickets == 5
    assert (figures.no_shows, figures.finished) == (1, 3)
    assert figures.no_show_rate == pytest.approx(1 / 3)
    assert figures.average_wait_minutes == pytest.approx((4 + 12 + 30) / 3)
    assert figures.p90_wait_minutes == 30
    assert sum(count for _hour, count in figures.per_hour) == 5
    assert [(q.code, q.done, q.average_service_minutes) for q in figures.queues] == [("A", 2, 15.0)]
    by_centre = {row.centre.code: row for row in figures.centres}
    assert set(by_centre) == {"QCHXL", "QCGJ"}  # the towns below 谯城区
    assert (by_centre["QCGJ"].tickets, by_centre["QCGJ"].no_show_rate) == (2, 1.0)
    assert by_centre["QCGJ"].average_wait_minutes == pytest.approx(30)
    assert by_centre["QCHXL"].tickets == 0


def test_the_dashboard_shows_the_hall_figures_of_the_supervisors_part(network, queue, client):
    ticket_take(queue=queue("QC", "A"))
    ticket_take(queue=queue("GY", "A"))
    supervisor = StaffFactory(role=Role.SUPERVISOR)
    supervisor.staff_profile.centre = network["QC"]
    supervisor.staff_profile.save(update_fields=["centre"])
    sign_in(client, supervisor)
    response = client.get(reverse("supervision:dashboard"))
    assert response.context["hall"].tickets == 1
    body = response.content.decode()
    assert "大厅排队" in body and "每小时取号量" in body and "过号率" in body
