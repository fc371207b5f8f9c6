"""The library's lifecycle: revoke, expire by date, and new versions that supersede old ones.

Every status change goes through ``cases.services.transitions.run_transition`` and so
writes its ``CaseEvent``. Revoked, expired and superseded certificates are never offered
for reuse (intake reuses only ``valid`` ones); an old version's QR code keeps resolving
and its page points to the newest version.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.constants import CertificateStatus
from cases.exceptions import (
    ConcurrentTransitionError,
    InvalidTransitionError,
    TransitionPermissionError,
)
from cases.models import Case
from cases.permissions import is_reviewer_of_certificate
from cases.services.transitions import run_transition
from certificates.models import Certificate

from ..exceptions import (
    CertificateChangeError,
    CertificateNotCurrentError,
    RevokeReasonRequiredError,
)
from ..licence_id import LicenceIdError, licence_id_build, licence_id_parse
from .issuance import certificate_issue_pdf_after_commit

logger = logging.getLogger(__name__)

REVOKE_REASON_MAX_LENGTH = 300
# What a change (变更) may alter on the certificate; everything else comes from the
# holder, the type and the issuing department.
CHANGEABLE_FIELDS = ("holder_name", "legal_representative", "address", "business_scope")


def certificate_revoke(*, certificate: Certificate, actor: Any, reason: str) -> Certificate:
    """The issuing department revokes the certificate (注销), with a reason that goes on the
    holder's timeline (not on the public verification page).

    The verification page and API say 「已注销」 from now on, and intake no longer reuses it.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RevokeReasonRequiredError(_("注销电子证照必须填写原因。"))
    if len(reason) > REVOKE_REASON_MAX_LENGTH:
        raise RevokeReasonRequiredError(
            _("注销原因最多 %(max)d 个字，现在是 %(length)d 个字。")
            % {"max": REVOKE_REASON_MAX_LENGTH, "length": len(reason)}
        )
    if actor is None:
        raise TransitionPermissionError(_("注销电子证照须由颁发部门的审批人员操作。"))
    return run_transition(certificate, "revoke", actor=actor, note=reason, reason=reason)


def certificates_expire_due(*, today: dt.date | None = None) -> int:
    """Mark every valid certificate whose last valid day has passed as expired; returns
    how many. The periodic job (Celery beat) runs it daily; running it twice, or two at
    once, expires each certificate once."""
    today = today or timezone.localdate()
    due = list(
        Certificate.objects.filter(
            status=CertificateStatus.VALID, valid_until__lt=today
        ).values_list("pk", flat=True)
    )
    expired = 0
    for certificate in Certificate.objects.filter(pk__in=due).order_by("pk"):
        try:
            run_transition(
                certificate,
                "expire",
                actor=None,
                actor_label="system",
                note=_("有效期至 %(date)s，已到期。") % {"date": certificate.valid_until},
            )
        except (InvalidTransitionError, ConcurrentTransitionError):
            continue  # someone revoked, superseded or expired it meanwhile
        expired += 1
    return expired


def _next_version_number(number: str, version: int) -> str:
    return f"{re.sub(r'-V[0-9]+$', '', number)}-V{version}"


def _next_version_licence_id(certificate: Certificate, version: int) -> str | None:
    if not certificate.licence_id:
        return None
    try:
        current = licence_id_parse(certificate.licence_id)
    except LicenceIdError:
        logger.warning("certificate %s has a malformed licence id", certificate.number)
        return None
    return str(
        licence_id_build(
            type_code=current.type_code,
            issuer_code=current.issuer_code,
            serial=current.serial,
            version=version,
        )
    )


def _certificate_new_version(
    *,
    certificate: Certificate,
    actor: Any,
    note: str,
    changes: dict[str, str],
    renew: bool,
    case: Case | None,
) -> Certificate:
    with transaction.atomic():
        current = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if current.status != CertificateStatus.VALID:
            raise CertificateNotCurrentError(
                _("证照 %(number)s 当前状态为「%(status)s」，只有有效的现行版本才能变更或延续。")
                % {"number": current.number, "status": current.get_status_display()}
            )
        if actor is not None and not is_reviewer_of_certificate(current, actor):
            raise TransitionPermissionError(
                _("只有颁发部门可以变更或延续证照 %(number)s。") % {"number": current.number}
            )
        version = current.version + 1
        today = timezone.localdate()
        if renew:
            validity_days = current.certificate_type.validity_days
            valid_until = today + dt.timedelta(days=validity_days) if validity_days else None
        else:
            valid_until = current.valid_until
        if valid_until is not None and valid_until < today:
            raise CertificateNotCurrentError(
                _("证照 %(number)s 已过有效期，请办理延续而不是变更。") % {"number": current.number}
            )
        superseded = run_transition(
            current,
            "supersede",
            actor=actor,
            actor_label="" if actor is not None else "system",
            note=note,
            event_data={"version": version, "renew": renew, "changes": changes},
        )
        new = Certificate.objects.create(
            number=_next_version_number(superseded.number, version),
            licence_id=_next_version_licence_id(superseded, version),
            certificate_type=superseded.certificate_type,
            holder=superseded.holder,
            holder_kind=superseded.holder_kind,
            issuing_department=superseded.issuing_department,
            case=case or superseded.case,
            version=version,
            supersedes=superseded,
            valid_from=today,
            valid_until=valid_until,
            data={**superseded.data, **changes, "change_note": note},
        )
        certificate_issue_pdf_after_commit(certificate_id=new.pk)
    return new


def certificate_change(
    *,
    certificate: Certificate,
    actor: Any,
    changes: dict[str, str],
    note: str = "",
    case: Case | None = None,
) -> Certificate:
    """A change (变更): a new version with the changed details and the same validity
    period supersedes the current one; the old QR code then points to the new version."""
    unknown = sorted(set(changes) - set(CHANGEABLE_FIELDS))
    if unknown:
        raise CertificateChangeError(
            _("不能变更的项目：%(fields)s。可变更：%(allowed)s。")
            % {"fields": "、".join(unknown), "allowed": "、".join(CHANGEABLE_FIELDS)}
        )
    cleaned = {key: str(value).strip() for key, value in changes.items()}
    if not cleaned or not all(cleaned.values()):
        raise CertificateChangeError(_("请填写要变更的内容，且不能为空。"))
    return _certificate_new_version(
        certificate=certificate, actor=actor, note=note, changes=cleaned, renew=False, case=case
    )


def certificate_renew(
    *, certificate: Certificate, actor: Any, note: str = "", case: Case | None = None
) -> Certificate:
    """A renewal (延续): a new version valid for the type's full period from today."""
    return _certificate_new_version(
        certificate=certificate, actor=actor, note=note, changes={}, renew=True, case=case
    )
