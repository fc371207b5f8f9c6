"""The one gateway for reading another department's data.

Deny by default: without an active ``SharingAgreement`` for the reading
department and the registry, the read is refused. Every call, granted or
refused, leaves exactly one ``Verification`` row (the data-access log) with
the purpose (用证事由), the case, who read, and SHA-256 digests of the request
and the response; the applicant can later see the rows about them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.connectors import RegistryUnavailableError, connector_for
from departments.models import Department, Registry, SharingAgreement

from ..constants import VerificationOutcome
from ..exceptions import CaseError
from ..models import Applicant, Case, Verification

logger = logging.getLogger(__name__)

PURPOSE_MAX_LENGTH = 200


class PurposeRequiredError(CaseError):
    pass


@dataclass(frozen=True)
class RegistryReading:
    verification: Verification
    data: dict[str, Any] | None

    @property
    def outcome(self) -> str:
        return self.verification.outcome


def _digest(value: Any) -> str:
    return hashlib.sha256(
        json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()


def sharing_is_granted(*, department: Department, registry: Registry) -> bool:
    today = timezone.localdate()
    return (
        SharingAgreement.objects.filter(
            consumer=department, registry=registry, is_active=True, valid_from__lte=today
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .exists()
    )


def registry_read(
    *,
    registry: Registry,
    subject_id: str,
    purpose: str,
    department: Department,
    case: Case | None = None,
    applicant: Applicant | None = None,
    user: Any = None,
) -> RegistryReading:
    """Read one subject's record for a stated purpose; log the read whatever happens."""
    purpose = purpose.strip()
    if not purpose or len(purpose) > PURPOSE_MAX_LENGTH:
        raise PurposeRequiredError(_("查询共享数据必须说明用证事由（1至200个字）。"))
    request = {
        "registry": registry.code,
        "subject": subject_id,
        "purpose": purpose,
        "department": department.code,
    }
    data: dict[str, Any] | None = None
    if not sharing_is_granted(department=department, registry=registry):
        outcome = VerificationOutcome.DENIED
    else:
        try:
            data = connector_for(registry).fetch(registry=registry, subject_id=subject_id)
            outcome = VerificationOutcome.OK if data is not None else VerificationOutcome.NO_MATCH
        except RegistryUnavailableError:
            logger.exception("registry %s unavailable", registry.code)
            outcome = VerificationOutcome.ERROR
    verification = Verification.objects.create(
        registry=registry,
        subject_id=subject_id,
        applicant=applicant,
        purpose=purpose,
        case=case,
        requesting_department=department,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
        outcome=outcome,
        request_sha256=_digest(request),
        response_sha256=_digest(data) if data is not None else "",
    )
    return RegistryReading(verification=verification, data=data)
