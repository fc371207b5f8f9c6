"""Issuance: an approved item's certificate enters the library at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from certificates.services.issuance import (
    certificate_issue_pdf_after_commit,
    certificate_licence_id,
    licence_serial,
)
from onewindow.precompiled import row_insert

from ..constants import ApplicantKind, HolderKind
from ..models import Approval, Case, Certificate
from .numbers import sequence_next
from .transitions import run_transition


def certificate_create_for_approval(*, approval: Approval) -> Certificate | None:
    """The certificate the approved item produces (none if it produces none).

    Called in the transaction that approved ``approval``, which holds its row lock:
    an approval is approved once, so its certificate is new. The one-to-one
    ``approval`` column still backs that — a second certificate for the same
    approval is a unique violation that rolls the whole decision back, never a
    duplicate — so no read or savepoint is spent on it here.
    """
    item = approval.item
    if item.produces_id is None:
        return None
    certificate_type = item.produces
    applicant = approval.case.applicant
    today = timezone.localdate()
    valid_until = (
        today + dt.timedelta(days=certificate_type.validity_days)
        if certificate_type.validity_days
        else None
    )
    serial = sequence_next(name=f"certificate:{certificate_type.code}:{today.year}")
    certificate = Certificate(
        number=f"{certificate_type.code}-{today.year}-{serial:06d}",
        licence_id=certificate_licence_id(
            certificate_type=certificate_type,
            department=certificate_type.issuing_department,
            serial=licence_serial(year=today.year, sequence=serial),
            version=1,
        ),
        certificate_type=certificate_type,
        holder=applicant,
        holder_kind=HolderKind.PERSON
        if applicant.kind == ApplicantKind.PERSON
        else HolderKind.ORGANISATION,
        issuing_department_id=certificate_type.issuing_department_id,
        approval=approval,
        case=approval.case,
        valid_from=today,
        valid_until=valid_until,
        data={"item": item.code, "item_name": item.name, "holder_name": applicant.name},
    )
    row_insert(certificate)
    # Rendered and sealed by a task once this row commits.
    certificate_issue_pdf_after_commit(certificate_id=certificate.pk)
    return certificate


def case_issue(*, case: Case, actor: Any = None, actor_label: str = "system") -> Case:
    return run_transition(case, "issue", actor=actor, actor_label=actor_label)
