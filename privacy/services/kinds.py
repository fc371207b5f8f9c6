"""The retention kinds of the tables below ``privacy``: uploaded materials, the data-access
log, the batch-read log (``sharing``), sign-in codes, tracking attempts and staff sign-in
attempts (registered in ``privacy/apps.py``). Each is ``apply(*, cutoff, dry_run, run) -> int``
(``privacy/retention.py``).

What is not here, on purpose:
- ``cases.CaseEvent`` is the case's legal record (the timeline and audit trail): never
  deleted. Its notes can hold personal data (a clerk's or reviewer's words); they stay
  with the record.
- Notification logs: the project keeps none. The only trace of an SMS is a sign-in code's
  ``sent_at`` (``citizens.OneTimeCode``), which goes with its code; the outbox
  (``cases.Job``) carries ids only.
"""

from __future__ import annotations

import datetime as dt

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from cases.constants import CaseState
from cases.models import CaseMaterial, Verification
from citizens.models import OneTimeCode, TrackFailure
from departments.models import MaterialType
from sharing.models import BatchRead, BatchReadSubject

from ..models import RetentionRun
from .chained import chained_rows_remove

# The states a case ends in; ``closed_at`` is set on the way into each.
CASE_ENDED_STATES = (CaseState.CLOSED, CaseState.REFUSED, CaseState.WITHDRAWN)


def chunk_size() -> int:
    return settings.RETENTION_CHUNK_SIZE


def delete_in_chunks(queryset: QuerySet, *, dry_run: bool) -> int:
    """Delete ``queryset``'s rows, one ``DELETE … WHERE pk IN (SELECT … LIMIT n)`` per chunk."""
    if dry_run:
        return queryset.count()
    size, deleted = chunk_size(), 0
    while True:
        chunk = queryset.model._base_manager.filter(
            pk__in=queryset.order_by("pk").values("pk")[:size]
        )
        count, _by_model = chunk.delete()
        deleted += count
        if count < size:
            return deleted


def _reuse_over(now: dt.datetime) -> Q:
    """Materials no later case can reuse any more: their type's reuse period
    (``MaterialType.reuse_validity_days``, counted from the upload) is over, or it has none.
    One condition per distinct period, so it stays one statement."""
    condition = Q(material_type__reuse_validity_days__isnull=True)
    for days in (
        MaterialType.objects.filter(reuse_validity_days__isnull=False)
        .order_by()
        .values_list("reuse_validity_days", flat=True)
        .distinct()
    ):
        condition |= Q(
            material_type__reuse_validity_days=days,
            updated_at__lt=now - dt.timedelta(days=days),
        )
    return condition


def expired_material_files(*, cutoff: dt.datetime) -> QuerySet[CaseMaterial]:
    """Uploaded files whose case ended before ``cutoff``, that no case still open (or
    ended after ``cutoff``) relies on through reuse, and that no new case may reuse."""
    relied_on = CaseMaterial.objects.filter(earlier_material=OuterRef("pk")).filter(
        Q(case__closed_at__isnull=True) | Q(case__closed_at__gte=cutoff)
    )
    return (
        CaseMaterial.objects.exclude(file="")
        .filter(case__state__in=CASE_ENDED_STATES, case__closed_at__lt=cutoff)
        .filter(_reuse_over(timezone.now()))
        .exclude(Exists(relied_on))
    )


def material_files_expire(*, cutoff: dt.datetime, dry_run: bool, run: RetentionRun | None) -> int:
    """Delete the stored files of expired uploads and clear their file and original name.
    The row stays with its SHA-256, size and type: the record that something was handed
    in, and what. The files go first, then the fields: a run cut off in between leaves
    fields pointing at nothing, which the next run clears (deleting a missing file is a
    no-op), never a file nobody knows about."""
    expired = expired_material_files(cutoff=cutoff)
    if dry_run:
        return expired.count()
    storage = CaseMaterial._meta.get_field("file").storage
    size, cleared = chunk_size(), 0
    while True:
        chunk = list(expired.order_by("pk").values_list("pk", "file")[:size])
        for _pk, name in chunk:
            storage.delete(name)
        # QuerySet.update() leaves ``updated_at`` alone: reuse periods count from the upload.
        cleared += CaseMaterial.objects.filter(pk__in=[pk for pk, _name in chunk]).update(
            file="", original_name=""
        )
        if len(chunk) < size:
            return cleared


def data_access_log_expire(*, cutoff: dt.datetime, dry_run: bool, run: RetentionRun | None) -> int:
    """Delete data-access log rows (``cases.Verification``) older than ``cutoff``, except
    those a case material points to as its proof (they stay with the case's record)."""
    return chained_rows_remove(
        expired=Verification.objects.filter(created_at__lt=cutoff),
        dry_run=dry_run,
        run=run,
        chunk_size=chunk_size(),
    )


def batch_reads_expire(*, cutoff: dt.datetime, dry_run: bool, run: RetentionRun | None) -> int:
    """Delete the batch reads (``sharing.BatchRead``, one per chunk) made before
    ``cutoff`` with their subjects' rows (``BatchReadSubject``, one per person per
    registry per purpose). A chunk goes whole: its digests cover its subjects, so a chunk
    kept is never left with some of them missing. Subjects first, chunk by chunk of
    ``RETENTION_CHUNK_SIZE`` rows, then the chunks that no longer have any; a run cut off
    in between leaves chunks without subjects, which the next run deletes. The purposes
    (``SharingPurpose``: a round's name and department) are no one's personal data and stay.
    """
    expired_reads = BatchRead.objects.filter(created_at__lt=cutoff)
    subjects = BatchReadSubject.objects.filter(read__in=expired_reads.values("pk"))
    emptied = expired_reads.exclude(Exists(BatchReadSubject.objects.filter(read=OuterRef("pk"))))
    if dry_run:
        return subjects.count() + expired_reads.count()
    return delete_in_chunks(subjects, dry_run=False) + delete_in_chunks(emptied, dry_run=False)


def sign_in_codes_expire(*, cutoff: dt.datetime, dry_run: bool, run: RetentionRun | None) -> int:
    """Sign-in codes (``citizens.OneTimeCode``) created before ``cutoff``: the only path
    by which they go (the nightly run; a day by default)."""
    return delete_in_chunks(OneTimeCode.objects.filter(created_at__lt=cutoff), dry_run=dry_run)


def track_failures_expire(*, cutoff: dt.datetime, dry_run: bool, run: RetentionRun | None) -> int:
    """Tracking attempts are counted per window; a count is as old as its window's end."""
    return delete_in_chunks(TrackFailure.objects.filter(window_ends__lt=cutoff), dry_run=dry_run)


def staff_sign_in_expire(*, cutoff: dt.datetime, dry_run: bool, run: RetentionRun | None) -> int:
    """django-axes' tables: its access log and failure log through its own reset
    (``AxesProxyHandler.reset_logs`` / ``reset_failure_logs(age_days=…)``, one statement
    each), and counted failures past the cutoff (long past their cool-off, so they lock
    nobody). ``accounts.SignInUnlock`` is an administrator's act and is kept."""
    age_days = (timezone.now() - cutoff).days
    # axes counts from its own now: the same day boundary, to the second.
    axes_cutoff = timezone.now() - dt.timedelta(days=age_days)
    attempts = AccessAttempt.objects.filter(attempt_time__lt=cutoff)
    if dry_run:
        return (
            AccessLog.objects.filter(attempt_time__lte=axes_cutoff).count()
            + AccessFailureLog.objects.filter(attempt_time__lte=axes_cutoff).count()
            + attempts.count()
        )
    return (
        AxesProxyHandler.reset_logs(age_days=age_days)
        + AxesProxyHandler.reset_failure_logs(age_days=age_days)
        + delete_in_chunks(attempts, dry_run=False)
    )
