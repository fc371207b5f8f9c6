"""Rebuild the dashboard's pre-aggregated figures (rollups) from the cases.

At a million cases, even one scan of the case table takes longer than the
dashboard may. So a periodic task (``supervision.refresh_figures``, every five
minutes in full mode; ``manage.py refresh_supervision_figures`` by hand) rebuilds
small tables with INSERT ... SELECT aggregate queries compiled by the ORM for the
running database: cases by (creation day, channel, centre, state, processing working
days, on time), the same once per item of a case and once per department of its
items, and approvals by (day, channel, centre, department, state, decision working
days, on time, overdue), the same once per item of their case. Whatever the filter
(dates, channel, centre, department, item), the dashboard then sums a few tens of
thousands of rows. Working days are counted in SQL against ``WorkdayCalendar``.
The same definitions as the live queries in ``selectors/kpis/live.py`` hold, and a
test checks that both give the same figures.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
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
    ApprovalItemFigureRollup,
    CaseDepartmentFigureRollup,
    CaseFigureRollup,
    CaseFigureRow,
    CaseItemFigureRollup,
    FigureRefresh,
    WorkdayCalendar,
)
from ..selectors.kpis import DECIDED_STATES

logger = logging.getLogger(__name__)

ROLLUPS = (
    CaseFigureRow,
    CaseFigureRollup,
    CaseItemFigureRollup,
    CaseDepartmentFigureRollup,
    ApprovalFigureRollup,
    ApprovalItemFigureRollup,
)


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
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) {sql}", params)
    logger.info("rollup %s rebuilt in %.1f s", model._meta.db_table, time.perf_counter() - started)


ROW_COLUMNS = {
    "pk": "case_id", "created_day": "day", "channel": "channel", "centre_id": "centre_id",
    "state": "state", "processing": "processing_days", "punctual": "is_on_time",
    "visit_count": "visits", "requirement_count": "requirements", "reused_count":
    "requirements_reused",
}  # fmt: skip
CASE_COLUMNS = {
    "r_day": "day", "r_channel": "channel", "r_centre": "centre_id", "r_state": "state",
    "r_processing": "processing_days", "r_punctual": "is_on_time", "n": "cases",
    "le1": "closed_at_most_one_visit", "zero": "closed_zero_visits", "req": "requirements",
    "reused": "requirements_reused",
}  # fmt: skip
APPROVAL_COLUMNS = {
    "created_day": "day", "case_channel": "channel", "case_centre": "centre_id",
    "department_id": "department_id", "state": "state", "days": "decision_days",
    "punctual": "is_on_time", "late": "is_overdue", "n": "approvals",
    "rating_total": "rating_sum", "rated": "rating_count",
}  # fmt: skip


def _case_figure_rows() -> QuerySet:
    """One row per case: its day, channel, centre, state, processing working days,
    punctuality, visits and requirements (``CaseFigureRow``)."""
    on_time = Case(
        When(Q(concluded_at__isnull=True) | Q(due_date__isnull=True), then=Value(None)),
        When(concluded_date__lte=F("due_date"), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
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
        .values(*ROW_COLUMNS)
    )


def _case_rows(base: QuerySet, *, row: str = "", keys: dict[str, F] | None = None) -> QuerySet:
    """The case figures grouped by the rollup's columns (and ``keys``). ``base`` is the
    per-case rows themselves (``row=""``) or rows that lead to one (``row`` the path,
    e.g. the items of the cases), each counted once."""
    keys = keys or {}
    closed = Q(r_state=CaseState.CLOSED)
    dimensions = {
        f"r_{name}": F(f"{row}{field}")
        for name, field in (
            ("day", "day"),
            ("channel", "channel"),
            ("centre", "centre_id"),
            ("state", "state"),
            ("processing", "processing_days"),
            ("punctual", "is_on_time"),
        )
    }
    return (
        base.order_by()
        .annotate(**dimensions, r_visits=F(f"{row}visits"), **keys)
        .values(*dimensions, *keys)
        .annotate(
            n=Count("pk"),
            le1=Count("pk", filter=closed & Q(r_visits__lte=1)),
            zero=Count("pk", filter=closed & Q(r_visits=0)),
            req=Coalesce(Sum(f"{row}requirements"), Value(0)),
            reused=Coalesce(Sum(f"{row}requirements_reused"), Value(0)),
        )
    )


def _case_item_rows() -> QuerySet:
    """Each case once per item."""
    return _case_rows(
        CaseModel.items.through.objects.all(),
        row="case__figure_row__",
        keys={"k_item": F("serviceitem_id"), "k_department": F("serviceitem__department_id")},
    )


def _case_department_rows() -> QuerySet:
    """Each case once per department: its first item (lowest id) of each department."""
    through = CaseModel.items.through
    earlier_of_same_department = through.objects.filter(
        case_id=OuterRef("case_id"),
        serviceitem__department_id=OuterRef("serviceitem__department_id"),
        serviceitem_id__lt=OuterRef("serviceitem_id"),
    )
    return _case_rows(
        through.objects.filter(~Exists(earlier_of_same_department)),
        row="case__figure_row__",
        keys={"k_department": F("serviceitem__department_id")},
    )


def _approval_rows(today: dt.date, *, by_case_item: bool = False) -> QuerySet:
    """The approvals grouped by the rollup's columns; ``by_case_item``: once per item of
    their case (a join that repeats each approval for each item)."""
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
    keys = {"k_case_item": F("case__items")} if by_case_item else {}
    approvals = Approval.objects.order_by()
    if by_case_item:  # one row per item of the case, none for a case without items
        approvals = approvals.annotate(**keys).filter(k_case_item__isnull=False)
        keys = {}
    return (
        approvals.annotate(
            decided_date=TruncDate("decided_at"),
            start_date=TruncDate(Coalesce("started_at", "created_at")),
            rating_level=rating,
            **keys,
        )
        .annotate(
            created_day=TruncDate("case__created_at", output_field=DateField()),
            case_channel=F("case__channel"),
            case_centre=F("case__centre_id"),
            days=Case(
                When(~decided | Q(decided_at__isnull=True), then=Value(None)),
                default=_ordinal("decided_date") - _ordinal("start_date"),
                output_field=IntegerField(),
            ),
            punctual=on_time,
            late=overdue,
        )
        .values(
            "created_day",
            "case_channel",
            "case_centre",
            "department_id",
            "state",
            "days",
            "punctual",
            "late",
            *(["k_case_item"] if by_case_item else []),
        )  # fmt: skip
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
        for model in ROLLUPS:
            model.objects.all().delete()
        _insert_select(CaseFigureRow, ROW_COLUMNS, _case_figure_rows())
        _insert_select(CaseFigureRollup, CASE_COLUMNS, _case_rows(CaseFigureRow.objects.all()))
        _insert_select(
            CaseItemFigureRollup,
            {**CASE_COLUMNS, "k_item": "item_id", "k_department": "department_id"},
            _case_item_rows(),
        )
        _insert_select(
            CaseDepartmentFigureRollup,
            {**CASE_COLUMNS, "k_department": "department_id"},
            _case_department_rows(),
        )
        _insert_select(ApprovalFigureRollup, APPROVAL_COLUMNS, _approval_rows(today))
        _insert_select(
            ApprovalItemFigureRollup,
            {**APPROVAL_COLUMNS, "k_case_item": "case_item_id"},
            _approval_rows(today, by_case_item=True),
        )
        refresh.refreshed_at = timezone.now()
        refresh.seconds = time.perf_counter() - started
        refresh.save()
    return refresh
