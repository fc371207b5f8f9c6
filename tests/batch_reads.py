"""Batch-read log rows as the sharing gateway writes them (``sharing.services``): one
``BatchRead`` per chunk and one ``BatchReadSubject`` per person, both stamped with the
chunk's time. Written directly so that a test can date them (the gateway reads only
outside a transaction, and stamps the present)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from sharing.models import BatchOutcome, BatchRead, BatchReadSubject, SharingPurpose
from sharing.services import batch_digest


def batch_read_logged(
    *,
    purpose: SharingPurpose,
    registry,
    subject_ids: list[str],
    created_at: dt.datetime | None = None,
    found: bool = True,
) -> BatchRead:
    created_at = created_at or timezone.now()
    read = BatchRead.objects.create(
        purpose=purpose,
        registry=registry,
        outcome=BatchOutcome.OK,
        subjects=len(subject_ids),
        found=len(subject_ids) if found else 0,
        request_sha256=batch_digest(registry=registry, purpose=purpose, subject_ids=subject_ids),
        response_sha256="0" * 64,
        created_at=created_at,
    )
    BatchReadSubject.objects.bulk_create(
        BatchReadSubject(
            read=read,
            purpose=purpose,
            registry=registry,
            subject_id=subject_id,
            found=found,
            created_at=created_at,
        )
        for subject_id in subject_ids
    )
    return read
