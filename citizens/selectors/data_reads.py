"""Who read my data: the registry reads about the applicant, for a case or in a batch.

Reads for cases (``Verification``) and the applicant's rows of batch reads
(``BatchReadSubject``) are merged and paged by the database, a fixed number of
queries a page. Reading this list writes no data-access log entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import CharField, Q, QuerySet, Value
from django.utils.translation import gettext as _

from cases.models import Applicant, Verification
from sharing.models import BatchReadSubject
from sharing.selectors import batch_reads_about


def _case_reads(applicant: Applicant) -> QuerySet[Verification]:
    return Verification.objects.filter(Q(applicant=applicant) | Q(subject_id=applicant.id_number))


def applicant_data_reads(*, applicant: Applicant) -> QuerySet[Verification]:
    """Who read my data, case by case: every registry read about this applicant (linked to
    them, or about their ID number before they were an applicant), newest first."""
    return (
        _case_reads(applicant)
        .select_related("registry__department", "requesting_department", "case")
        .order_by("-created_at", "-id")
    )


def applicant_batch_reads(*, applicant: Applicant) -> QuerySet[BatchReadSubject]:
    """Who read my data in a batch (a lottery round's check of every applicant): one row
    per registry per purpose, newest first."""
    return batch_reads_about(subject_id=applicant.id_number)


READ_FOR_CASE = "case"
READ_IN_BATCH = "batch"


@dataclass(frozen=True)
class DataRead:
    """One line of "who read my data": a read for a case (``Verification``) or the
    applicant's row of a batch read (``BatchReadSubject``)."""

    source: str
    pk: int
    at: dt.datetime
    requesting_department: str
    registry: str
    registry_department: str
    purpose: str
    outcome: str
    case_tracking_no: str = ""

    @property
    def is_batch(self) -> bool:
        return self.source == READ_IN_BATCH


def applicant_data_read_keys(*, applicant: Applicant) -> QuerySet:
    """``(source, id, created_at)`` of both kinds of reads about the applicant, newest
    first, as one ``UNION ALL``: the database merges and pages them, whatever the count."""
    text = CharField()
    for_cases = (
        _case_reads(applicant)
        .order_by()
        .annotate(source=Value(READ_FOR_CASE, output_field=text))
        .values_list("source", "id", "created_at")
    )
    in_batches = (
        BatchReadSubject.objects.filter(subject_id=applicant.id_number)
        .order_by()
        .annotate(source=Value(READ_IN_BATCH, output_field=text))
        .values_list("source", "id", "created_at")
    )
    return for_cases.union(in_batches, all=True).order_by("-created_at", "source", "-id")


def data_reads_resolve(keys: list[tuple[str, int, dt.datetime]]) -> list[DataRead]:
    """The lines for ``keys`` (one page), in their order: one query per kind present."""
    case_ids = [pk for source, pk, _at in keys if source == READ_FOR_CASE]
    batch_ids = [pk for source, pk, _at in keys if source == READ_IN_BATCH]
    verifications = (
        Verification.objects.select_related(
            "registry__department", "requesting_department", "case"
        ).in_bulk(case_ids)
        if case_ids
        else {}
    )
    batch_rows = (
        BatchReadSubject.objects.select_related(
            "registry__department", "purpose__department"
        ).in_bulk(batch_ids)
        if batch_ids
        else {}
    )
    found_labels = {True: _("查到记录"), False: _("未查到记录")}
    reads = []
    for source, pk, _at in keys:
        if source == READ_FOR_CASE:
            read = verifications[pk]
            reads.append(
                DataRead(
                    source=source,
                    pk=pk,
                    at=read.created_at,
                    requesting_department=read.requesting_department.name,
                    registry=read.registry.name,
                    registry_department=read.registry.department.name,
                    purpose=read.purpose,
                    outcome=str(read.get_outcome_display()),
                    case_tracking_no=read.case.tracking_no if read.case_id else "",
                )
            )
        else:
            row = batch_rows[pk]
            reads.append(
                DataRead(
                    source=source,
                    pk=pk,
                    at=row.created_at,
                    requesting_department=row.purpose.department.name,
                    registry=row.registry.name,
                    registry_department=row.registry.department.name,
                    purpose=row.purpose.purpose,
                    outcome=str(found_labels[row.found]),
                )
            )
    return reads


def applicant_data_reads_page(*, applicant: Applicant, page_number: Any, per_page: int) -> Page:
    """One page of "who read my data": reads for cases and batch reads merged, newest
    first. Three or four queries a page (the count, the page's keys, each kind's rows)."""
    page = Paginator(applicant_data_read_keys(applicant=applicant), per_page).get_page(page_number)
    page.object_list = data_reads_resolve(list(page.object_list))
    return page
