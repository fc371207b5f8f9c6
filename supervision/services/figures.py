"""Rebuild the dashboard's pre-aggregated figures (rollups) from the cases.

At a million cases, even one scan of the case table takes longer than the
dashboard may. So a periodic task (``supervision.refresh_figures``, every five
minutes in full mode; ``manage.py refresh_supervision_figures`` by hand) rebuilds
two small tables with INSERT ... SELECT aggregate queries compiled by the ORM
for the running database: cases by (creation day, channel, state, processing
working days, on time) and approvals by (day, channel, department, state,
decision working days, on time, overdue). The dashboard then sums a few tens of
thousands of rows. Working days are counted in SQL against ``WorkdayCalendar``.
The same definitions as the live queries in ``selectors/kpis.py`` hold, and a
test checks that both give the same figures.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from cases.constants import APPROVAL_OPEN_STATES, MATERIAL_REUSED_STATUSES, CaseState
from cases.models import Approval, CaseMaterial, Rating, Visit
from cases.models import Case as CaseModel
from cases.workdays import working_calendar

from ..models import (
    ApprovalFigureRollup,
    CaseFigureRollup,
    FigureRefresh,
    WorkdayCalendar,
)
from ..selectors.kpis import DECIDED_STATES


def _calendar_fill(*, first: dt.date, last: dt.date) -> None:
    WorkdayCalendar.objects.all().delete()
    rows, count, day = [], 0, first
    calendar = working_calendar()
    while day <= last:
        working = calendar.is_working_day(day)
        count += working
        rows.append(WorkdayCalendar(day=day, ordinal=count, is_working_day=working))
        day += dt.timedelta(days=1)
    WorkdayCalendar.objects.bulk_create(rows, batch_size=2000)


def _ordinal(date_annotation: str) -> Subquery:
    """The calendar ordinal of a date the outer query has annotated."""
    return Subquery(
        WorkdayCalendar.objects.filter(day=OuterRef(date_annotation)).values("ordinal")[:1],
        output_field=IntegerField(),
    )


def _count_of(queryset: QuerySet) -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.order_by().values("case_id").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _insert_select(model: type, columns: dict[str, str], queryset: QuerySet) -> None:
    """INSERT INTO model (columns) SELECT ...: ``columns`` maps the query's output names
    to the table's columns, in the order the compiler selects them."""
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    selected = [alias for _expression, _sql, alias in compiler.select]
    assert sorted(selected) == sorted(columns), (selected, columns)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(columns[alias]) for alias in selected)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) {sql}", params)


def _case_rows() -> QuerySet:
    on_time = Case(
        When(Q(concluded_at__isnull=True) | Q(due_date__isnull=True), then=Value(None)),
        When(concluded_date__lte=F("due_date"), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    closed = Q(state=CaseState.CLOSED)
    return (
        CaseModel.objects.order_by()
        .annotate(
            visit_count=_count_of(Visit.objects.filter(case_id=OuterRef("pk"))),
            requirement_count=_count_of(CaseMaterial.objects.filter(case_id=OuterRef("pk"))),
            reused_count=_count_of(
                CaseMaterial.objects.filter(
                    case_id=OuterRef("pk"), status__in=MATERIAL_REUSED_STATUSES
                )
            ),
            concluded_date=TruncDate("concluded_at"),
            accepted_date=TruncDate("accepted_at"),
        )
        .annotate(
            span=ExpressionWrapper(
                _ordinal("concluded_date") - _ordinal("accepted_date"), output_field=IntegerField()
            ),
        )
        .annotate(
            created_day=TruncDate("created_at", output_field=DateField()),
            punctual=on_time,
            processing=Case(
                When(span__lt=0, then=Value(0)), default=F("span"), output_field=IntegerField()
            ),
        )
        .values("created_day", "channel", "state", "processing", "punctual")
        .annotate(
            n=Count("pk"),
            le1=Count("pk", filter=closed & Q(visit_count__lte=1)),
            zero=Count("pk", filter=closed & Q(visit_count=0)),
            req=Coalesce(Sum("requirement_count"), Value(0)),
            reused=Coalesce(Sum("reused_count"), Value(0)),
        )
    )


def _approval_rows(today: dt.date) -> QuerySet:
    decided = Q(state__in=DECIDED_STATES)
    on_time = Case(
        When(~decided | Q(due_date__isnull=True), then=Value(None)),
        When(decided_date__lte=F("due_date"), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    overdue = Case(
        When(state__in=APPROVAL_OPEN_STATES, due_date__lt=today, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    rating = Subquery(
        Rating.objects.filter(case_id=OuterRef("case_id")).values("level")[:1],
        output_field=IntegerField(),
    )
    return (
        Approval.objects.order_by()
        .annotate(
            decided_date=TruncDate("decided_at"),
            start_date=TruncDate(Coalesce("started_at", "created_at")),
            rating_level=rating,
        )
        .annotate(
            created_day=TruncDate("case__created_at", output_field=DateField()),
            case_channel=F("case__channel"),
            days=Case(
                When(~decided | Q(decided_at__isnull=True), then=Value(None)),
                default=_ordinal("decided_date") - _ordinal("start_date"),
                output_field=IntegerField(),
            ),
            punctual=on_time,
            late=overdue,
        )
        .values("created_day", "case_channel", "department_id", "state", "days", "punctual", "late")
        .annotate(
            n=Count("pk"),
            rating_total=Coalesce(Sum("rating_level"), Value(0)),
            rated=Count("rating_level"),
        )
    )


def _date_span(today: dt.date) -> tuple[dt.date, dt.date]:
    """Every date a duration may start or end on, with a margin."""
    cases = CaseModel.objects.aggregate(
        a=Min("created_at"), b=Min("accepted_at"), c=Max("concluded_at")
    )
    approvals = Approval.objects.aggregate(
        a=Min("created_at"), b=Min("started_at"), c=Max("decided_at")
    )
    starts = [value for value in (cases["a"], cases["b"], approvals["a"], approvals["b"]) if value]
    ends = [value for value in (cases["c"], approvals["c"]) if value]
    first = min((timezone.localtime(value).date() for value in starts), default=today)
    last = max((timezone.localtime(value).date() for value in ends), default=today)
    return first - dt.timedelta(days=31), max(last, today) + dt.timedelta(days=31)


def supervision_figures_refresh() -> FigureRefresh:
    """Rebuild the rollups in one transaction; concurrent calls queue on the refresh row."""
    started = time.perf_counter()
    with transaction.atomic():
        FigureRefresh.objects.get_or_create(name="dashboard")
        refresh = FigureRefresh.objects.select_for_update().get(name="dashboard")
        today = timezone.localdate()
        first, last = _date_span(today)
        _calendar_fill(first=first, last=last)
        CaseFigureRollup.objects.all().delete()
        ApprovalFigureRollup.objects.all().delete()
        _insert_select(
            CaseFigureRollup,
            {"created_day": "day", "channel": "channel", "state": "state",
             "processing": "processing_days", "punctual": "is_on_time", "n": "cases",
             "le1": "closed_at_most_one_visit", "zero": "closed_zero_visits",
             "req": "requirements", "reused": "requirements_reused"},
            _case_rows(),
        )  # fmt: skip
        _insert_select(
            ApprovalFigureRollup,
            {"created_day": "day", "case_channel": "channel", "department_id": "department_id",
             "state": "state", "days": "decision_days", "punctual": "is_on_time",
             "late": "is_overdue", "n": "approvals", "rating_total": "rating_sum",
             "rated": "rating_count"},
            _approval_rows(today),
        )  # fmt: skip
        refresh.refreshed_at = timezone.now()
        refresh.seconds = time.perf_counter() - started
        refresh.save()
    return refresh
