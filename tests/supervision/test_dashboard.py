"""Dashboard KPIs and alerts on a set of cases whose figures are known by construction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.constants import (
    ApprovalState,
    CaseState,
    Channel,
    EventKind,
    MaterialStatus,
    SlaColour,
)
from cases.models import Case, CaseEvent, Rating
from cases.workdays import add_working_days, working_days_between
from centres.models import Centre
from centres.services import network_demo_load
from departments.constants import Role
from supervision.selectors.alerts import (
    approvals_late_or_amber,
    irregular_events,
    late_decisions_by_reviewer,
)
from supervision.selectors.kpis import CaseFilters, WorkdayCounter, dashboard_figures, percentile
from tests.factories import (
    ApprovalFactory,
    CaseFactory,
    CaseMaterialFactory,
    CertificateFactory,
    DepartmentFactory,
    ServiceItemFactory,
    StaffFactory,
    VisitFactory,
)
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 3, 3)  # a working day; 2025 is in the holiday tables


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def built_cases():
    """10 closed cases: 6 with one visit, 1 with none, 3 with two (→ 70 % at most one
    visit, 10 % zero); case k (1..10) took k working days against a promise of 7
    (→ 70 % on time, median 5, p90 9); 3 of them online. 2 open cases with visits
    that must not count. 8 requirements, 5 met by reuse (→ 62.5 %)."""
    department_a = DepartmentFactory(code="A")
    item_a = ServiceItemFactory(code="ITA", department=department_a)
    item_b = ServiceItemFactory(code="ITB", department=DepartmentFactory(code="B"))
    closed = []
    visits = [1, 1, 1, 1, 1, 1, 0, 2, 2, 2]
    for k in range(1, 11):
        case = CaseFactory(
            state=CaseState.CLOSED,
            channel=Channel.ONLINE if k <= 3 else Channel.WINDOW,
            accepted_at=at(MONDAY),
            concluded_at=at(add_working_days(MONDAY, k), 15),
            closed_at=at(add_working_days(MONDAY, k), 16),
            due_date=add_working_days(MONDAY, 7),
            items=[item_a if k <= 4 else item_b],
        )
        for _ in range(visits[k - 1]):
            VisitFactory(case=case)
        closed.append(case)
    open_cases = [
        CaseFactory(state=CaseState.IN_REVIEW, items=[item_a]),
        CaseFactory(state=CaseState.SUBMITTED, items=[item_b]),
    ]
    for case in open_cases:
        VisitFactory(case=case)
        VisitFactory(case=case)
    statuses = [
        MaterialStatus.REUSED_CERTIFICATE,
        MaterialStatus.REUSED_MATERIAL,
        MaterialStatus.REUSED_MATERIAL,
        MaterialStatus.PRODUCED_IN_CASE,
        MaterialStatus.PRODUCED_IN_CASE,
        MaterialStatus.UPLOADED,
        MaterialStatus.UPLOADED,
        MaterialStatus.MISSING,
    ]
    for case, status in zip(closed, statuses, strict=False):
        certificate = CertificateFactory() if status == MaterialStatus.REUSED_CERTIFICATE else None
        CaseMaterialFactory(case=case, status=status, sha256="a" * 64, certificate=certificate)
    return {"closed": closed, "open": open_cases, "item_a": item_a, "department_a": department_a}


def test_headline_kpis_known_by_construction(built_cases):
    figures = dashboard_figures(filters=CaseFilters())
    assert figures.cases == 12
    assert figures.closed == 10
    assert figures.at_most_one_visit_rate == pytest.approx(0.7)
    assert figures.zero_visit_rate == pytest.approx(0.1)
    assert figures.reuse_rate == pytest.approx(5 / 8)
    assert (figures.concluded_on_time, figures.concluded) == (7, 10)
    assert figures.on_time_rate == pytest.approx(0.7)
    assert figures.median_processing_days == 5
    assert figures.p90_processing_days == 9
    assert [(state, count) for state, _label, count in figures.open_by_state] == [
        (CaseState.SUBMITTED, 1),
        (CaseState.IN_REVIEW, 1),
    ]


def test_filters_by_channel_item_department_and_date(built_cases):
    online = dashboard_figures(filters=CaseFilters(channel=Channel.ONLINE))
    assert (online.cases, online.closed, online.median_processing_days) == (3, 3, 2)
    by_item = dashboard_figures(filters=CaseFilters(item=built_cases["item_a"]))
    assert (by_item.cases, by_item.closed) == (5, 4)  # 4 closed + 1 open case with item A
    by_department = dashboard_figures(filters=CaseFilters(department=built_cases["department_a"]))
    assert by_department.cases == 5
    old = built_cases["closed"][0]
    Case.objects.filter(pk=old.pk).update(created_at=at(dt.date(2024, 6, 1)))
    recent = dashboard_figures(filters=CaseFilters(date_from=dt.date(2025, 1, 1)))
    assert recent.cases == 11
    only_old = dashboard_figures(
        filters=CaseFilters(date_from=dt.date(2024, 6, 1), date_to=dt.date(2024, 6, 1))
    )
    assert only_old.cases == 1


def test_per_department_figures(built_cases):
    department_a = built_cases["department_a"]
    item = built_cases["item_a"]
    today = timezone.localdate()
    for k, due_in in [(1, 5), (2, 5), (3, 5), (10, 5)]:
        ApprovalFactory(
            item=item,
            state=ApprovalState.APPROVED,
            started_at=at(MONDAY),
            decided_at=at(add_working_days(MONDAY, k), 11),
            due_date=add_working_days(MONDAY, due_in),
        )
    ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW, due_date=today - dt.timedelta(days=1))
    ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW, due_date=today + dt.timedelta(days=3))
    rated = ApprovalFactory(item=item, state=ApprovalState.VOIDED).case
    Rating.objects.create(case=rated, level=5)
    Rating.objects.create(
        case=ApprovalFactory(item=item, state=ApprovalState.REJECTED, decided_at=at(MONDAY)).case,
        level=3,
    )
    figures = dashboard_figures(filters=CaseFilters())
    row = next(d for d in figures.departments if d.code == department_a.code)
    assert row.decided == 5  # 4 approved + 1 rejected; voided is not a decision
    assert row.decided_on_time == 3 + 1  # the rejection has a due date in the future
    assert row.overdue_now == 1
    assert row.open == 2
    assert row.median_decision_days == 2  # 0, 1, 2, 3, 10 working days
    assert row.rating_average == pytest.approx(4.0)


def test_percentile_and_working_day_counter():
    assert percentile({}, 0.5) is None
    assert percentile({day: 1 for day in range(1, 11)}, 0.5) == 5
    assert percentile({day: 1 for day in range(1, 11)}, 0.9) == 9
    assert percentile({3: 1, 8: 99}, 0.01) == 3
    start, end = dt.date(2025, 9, 26), dt.date(2025, 10, 15)  # across the National Day holiday
    counter = WorkdayCounter([start, end])
    for later in (start, dt.date(2025, 10, 1), dt.date(2025, 10, 9), end):
        assert counter.between(start, later) == working_days_between(start, later)


def test_dashboard_page_is_aggregate_queries_only(
    client, built_cases, django_assert_max_num_queries
):
    sign_in(client, StaffFactory(role=Role.SUPERVISOR))
    for _ in range(20):  # more cases must not mean more queries
        CaseFactory(state=CaseState.CLOSED)
    # 23: one of them reads the authenticator that verified the session (django-otp), two
    # the network (the centres the filter offers, the level below for the ranking), five
    # the halls' figures (totals, per hour, the wait distribution, per queue, per centre).
    with django_assert_max_num_queries(23):
        response = client.get(reverse("supervision:dashboard"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "70.0%" not in body or "<svg" in body
    assert body.count("<svg") == 5 and "<script" not in body
    bad = client.get(
        reverse("supervision:dashboard"), {"date_from": "2025-02-01", "date_to": "2025-01-01"}
    )
    assert "开始日期不能晚于结束日期" in bad.content.decode()


def test_dashboard_shows_the_headline_figure(client, built_cases):
    sign_in(client, StaffFactory(role=Role.SUPERVISOR))
    body = client.get(reverse("supervision:dashboard")).content.decode()
    assert "70.0%" in body and "(7/10)" in body


@pytest.mark.parametrize("name", ["supervision:dashboard", "supervision:alerts"])
def test_pages_for_supervisors_only(client, name):
    url = reverse(name)
    assert client.get(url).status_code == 302
    sign_in(client, StaffFactory(role=Role.REVIEWER, department=DepartmentFactory(code="A")))
    assert client.get(url).status_code == 403
    sign_in(client, StaffFactory(role=Role.SUPERVISOR))
    assert client.get(url).status_code == 200


def test_overdue_and_amber_approvals_with_how_late_and_who(reviewer, department):
    today = timezone.localdate()
    item = ServiceItemFactory(department=department)
    due = today - dt.timedelta(days=10)
    overdue = ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW, due_date=due)
    amber = ApprovalFactory(
        item=item,
        state=ApprovalState.PENDING,
        sla_colour=SlaColour.AMBER,
        due_date=today + dt.timedelta(days=2),
    )
    ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW, due_date=today + dt.timedelta(days=5))
    ApprovalFactory(item=item, state=ApprovalState.APPROVED, due_date=due)  # decided: no alert
    rows, total = approvals_late_or_amber()
    assert total == 2
    assert [row.approval_id for row in rows] == [overdue.pk, amber.pk]
    assert rows[0].is_overdue and rows[0].working_days_late == working_days_between(due, today)
    assert rows[0].working_days_late > 0
    assert not rows[1].is_overdue
    assert rows[0].reviewers == [reviewer.username]


def test_late_decisions_by_reviewer(reviewer, department):
    item = ServiceItemFactory(department=department)
    ApprovalFactory(
        item=item,
        state=ApprovalState.APPROVED,
        decided_by=reviewer,
        decided_at=at(MONDAY),
        due_date=MONDAY - dt.timedelta(days=1),
    )
    ApprovalFactory(item=item, state=ApprovalState.REJECTED, decided_by=reviewer,
                    decided_at=at(MONDAY), due_date=MONDAY)  # fmt: skip
    rows = late_decisions_by_reviewer(date_from=MONDAY, date_to=MONDAY)
    assert rows == [
        {
            "decided_by__username": reviewer.username,
            "department__code": "A",
            "decided": 2,
            "late": 1,
        }
    ]


def test_irregular_events_are_flagged(reviewer, other_reviewer, superuser, department):
    approval = ApprovalFactory(item=ServiceItemFactory(department=department))

    def decision(actor, when, name="approve"):
        return CaseEvent.objects.create(
            case=approval.case, approval=approval, kind=EventKind.DECISION, name=name,
            actor=actor, actor_department_id=actor.staff_profile.department_id, created_at=when,
        )  # fmt: skip

    normal = decision(reviewer, at(MONDAY, 10))
    late_evening = decision(reviewer, at(MONDAY, 22, 15))
    early = decision(reviewer, at(MONDAY, 8, 29))
    sunday = decision(reviewer, at(MONDAY - dt.timedelta(days=1), 10))
    foreign = decision(other_reviewer, at(MONDAY, 11))
    forced = CaseEvent.objects.create(
        case=approval.case, kind=EventKind.TRANSITION, name="dispatch", actor=superuser,
        created_at=at(MONDAY, 9),
    )  # fmt: skip
    flagged = {
        item.event.pk: item.reasons
        for item in irregular_events(date_from=MONDAY - dt.timedelta(days=1), date_to=MONDAY)
    }
    assert normal.pk not in flagged
    assert flagged[late_evening.pk] == ["工作时间以外作出决定"]
    assert flagged[early.pk] == ["工作时间以外作出决定"]
    assert flagged[sunday.pk] == ["非工作日作出决定"]
    assert flagged[foreign.pk] == ["其他部门人员作出决定"]
    assert flagged[forced.pk] == ["管理员强制操作"]


def test_alerts_page_lists_them(client, reviewer, department):
    ApprovalFactory(
        item=ServiceItemFactory(department=department),
        state=ApprovalState.IN_REVIEW,
        due_date=timezone.localdate() - dt.timedelta(days=3),
    )
    sign_in(client, StaffFactory(role=Role.SUPERVISOR))
    body = client.get(reverse("supervision:alerts")).content.decode()
    assert reviewer.username in body
    assert "超期" in body


def _comparable(figures):
    data = dict(vars(figures))
    data.pop("source"), data.pop("as_of")
    data["departments"] = [vars(department) for department in figures.departments]
    return data


def test_rollups_give_the_same_figures_as_the_live_queries(built_cases):
    from supervision.selectors.kpis import dashboard_figures_from_rollup, dashboard_figures_live
    from supervision.services.figures import supervision_figures_refresh

    item = built_cases["item_a"]
    for k in (1, 3, 10):
        ApprovalFactory(
            item=item,
            state=ApprovalState.APPROVED,
            started_at=at(MONDAY),
            decided_at=at(add_working_days(MONDAY, k), 11),
            due_date=add_working_days(MONDAY, 5),
            case=built_cases["closed"][k - 1],
        )
    ApprovalFactory(item=item, state=ApprovalState.IN_REVIEW,
                    case=CaseFactory(state=CaseState.IN_REVIEW, items=[item]),
                    due_date=timezone.localdate() - dt.timedelta(days=1))  # fmt: skip
    Rating.objects.create(case=built_cases["closed"][0], level=2)
    # The network: cases in a county, its town, another county; one of two items of
    # department A (counted once by department, once per item by item).
    network_demo_load()
    centres = {centre.code: centre for centre in Centre.objects.all()}
    for index, case in enumerate(built_cases["closed"]):
        Case.objects.filter(pk=case.pk).update(centre=centres[("QC", "QCGJ", "GY")[index % 3]])
    # An approval is always of one of its case's items (dispatch makes them so): the
    # approval of item A above on the tenth case (of item B) needs the case to ask for A.
    built_cases["closed"][9].items.add(item)
    second_a = ServiceItemFactory(code="ITA2", department=built_cases["department_a"])
    twice = built_cases["closed"][1]
    twice.items.add(second_a)
    ApprovalFactory(item=second_a, case=twice, state=ApprovalState.APPROVED, decided_at=at(MONDAY))
    refresh = supervision_figures_refresh()
    department_b = built_cases["closed"][9].items.get(code="ITB").department
    for filters in [
        CaseFilters(),
        CaseFilters(channel=Channel.ONLINE),
        CaseFilters(date_from=timezone.localdate(), date_to=timezone.localdate()),
        CaseFilters(date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 1, 2)),
        CaseFilters(item=item),
        CaseFilters(item=second_a),
        CaseFilters(department=built_cases["department_a"]),
        CaseFilters(department=department_b),
        CaseFilters(item=item, department=built_cases["department_a"]),
        CaseFilters(item=item, department=department_b),
        CaseFilters(centre=centres["QC"]),
        CaseFilters(centre=centres["QCGJ"], department=built_cases["department_a"]),
        CaseFilters(centre=centres["GY"], item=item, channel=Channel.ONLINE),
        CaseFilters(centre=centres["BZ"]),
    ]:
        live = dashboard_figures_live(filters=filters)
        rolled = dashboard_figures_from_rollup(filters=filters, as_of=refresh.refreshed_at)
        assert _comparable(rolled)["departments"] == _comparable(live)["departments"], filters
        assert _comparable(rolled) == _comparable(live), filters
    by_department = dashboard_figures(filters=CaseFilters(department=built_cases["department_a"]))
    assert by_department.source == "rollup" and by_department.cases == 7  # `twice` once
    assert dashboard_figures(filters=CaseFilters(item=item)).source == "rollup"
    assert dashboard_figures(filters=CaseFilters(centre=centres["QC"])).cases == 7


def test_stale_rollups_are_not_used(built_cases, settings):
    from supervision.models import FigureRefresh
    from supervision.services.figures import supervision_figures_refresh

    supervision_figures_refresh()
    FigureRefresh.objects.update(refreshed_at=timezone.now() - dt.timedelta(hours=1))
    settings.SUPERVISION_FIGURES_MAX_AGE = 900
    CaseFactory(state=CaseState.SUBMITTED)
    figures = dashboard_figures(filters=CaseFilters())
    assert figures.source == "live" and figures.cases == 13
