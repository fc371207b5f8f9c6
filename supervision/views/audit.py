from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.identifiers import mask_id_number

from ..access import supervisor_required
from ..forms import AuditSearchForm
from ..selectors.audit_search import audit_access_search, audit_event_search

PAGE_SIZE = 50
CSV_BATCH = 2000


def _search(form: AuditSearchForm, user: Any) -> tuple[str, Any]:
    """The search, inside the supervisor's part of the network."""
    data = form.cleaned_data
    arguments = {
        "user": user,
        "tracking_no": data["tracking_no"],
        "person": data["person"],
        "department": data["department"],
        "date_from": data["date_from"],
        "date_to": data["date_to"],
    }
    if data["trail"] == AuditSearchForm.TRAIL_ACCESS:
        return data["trail"], audit_access_search(**arguments)
    return data["trail"], audit_event_search(**arguments)


@supervisor_required
def audit_page(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    page = None
    trail = AuditSearchForm.TRAIL_EVENTS
    if not request.GET or form.is_valid():
        if not request.GET:
            form = AuditSearchForm({"trail": trail})
            form.is_valid()
        trail, rows = _search(form, request.user)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/audit.html",
        {"form": form, "page": page, "trail": trail, "query": query.urlencode()},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe(value: Any) -> str:
    """A cell as text; formulas are neutralised so a spreadsheet never runs them."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _event_rows(events: Iterable[Any]) -> Iterator[list[Any]]:
    yield [
        _("时间"), _("链序号"), _("办件编号"), _("类别"), _("事件"), _("原状态"), _("新状态"),
        _("操作人"), _("操作部门"), _("说明"), _("本记录哈希"),
    ]  # fmt: skip
    for event in events:
        yield [
            timezone.localtime(event.created_at).isoformat(),
            event.chain_position,
            event.case.tracking_no if event.case else "",
            event.get_kind_display(),
            event.name,
            event.from_state,
            event.to_state,
            event.actor.get_username() if event.actor else event.actor_label,
            event.actor_department.code if event.actor_department else "",
            event.note,
            event.row_hash,
        ]


def _access_rows(reads: Iterable[Any]) -> Iterator[list[Any]]:
    yield [
        _("时间"), _("链序号"), _("共享数据库"), _("被查询主体"), _("用证事由"), _("办件编号"),
        _("查询部门"), _("查询人"), _("结果"), _("本记录哈希"),
    ]  # fmt: skip
    for read in reads:
        yield [
            timezone.localtime(read.created_at).isoformat(),
            read.chain_position,
            read.registry.code,
            mask_id_number(read.subject_id),
            read.purpose,
            read.case.tracking_no if read.case else "",
            read.requesting_department.code,
            read.requested_by.get_username() if read.requested_by else "",
            read.get_outcome_display(),
            read.row_hash,
        ]


@supervisor_required
def audit_csv(request: HttpRequest) -> HttpResponse:
    """The search result as CSV, streamed row by row: any size, constant memory."""
    form = AuditSearchForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "supervision/audit.html",
            {"form": form, "page": None, "trail": "", "query": ""},
            status=400,
        )
    trail, rows = _search(form, request.user)
    produce = _access_rows if trail == AuditSearchForm.TRAIL_ACCESS else _event_rows
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield "\ufeff"  # so spreadsheet programs read the Chinese as UTF-8
        for row in produce(rows.iterator(chunk_size=CSV_BATCH)):
            yield writer.writerow([_safe(cell) for cell in row])

    filename = f"audit-{trail}-{timezone.localdate():%Y%m%d}.csv"
    return StreamingHttpResponse(
        stream(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
