"""Organisations act online through a person: their legal representative, as the
legal-person registry names them, or someone the representative has authorised.

Whether a person is the legal representative is read from the legal-person registry
through the sharing gateway every time it decides something (switching to the
organisation, granting, revoking): an identity check with the purpose "法定代表人核验",
logged like any read. A delegation is our own row, checked on every request of the
acting session (``session.citizen_applicant``), so a revocation takes effect at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.constants import ApplicantKind, IdType, VerificationOutcome
from cases.models import Applicant
from cases.services.intake.applicants import applicant_get_or_create, applicant_identifier_check
from departments.identifiers import normalise_identifier, validate_resident_id, validate_uscc

from ..exceptions import DelegationError, IdentityCheckUnavailableError
from ..models import Delegation
from .sign_up import identity_registry_read

REPRESENTATIVE_PURPOSE = gettext_lazy("法定代表人核验")
DELEGATION_MAX_DAYS = 3 * 366
BASIS_LEGAL_REPRESENTATIVE = "legal_representative"
BASIS_DELEGATION_PREFIX = "delegation:"
# Legal-person registry statuses of an organisation that can no longer act.
INACTIVE_STATUSES = ("注销", "吊销")


@dataclass(frozen=True)
class ActingRight:
    """The organisation a person may act for, and why (the session's basis)."""

    organisation: Applicant
    basis: str


def credit_code_clean(*, credit_code: str) -> str:
    value = normalise_identifier(credit_code or "")
    if not value:
        raise DelegationError(_("请输入单位的统一社会信用代码。"))
    try:
        validate_uscc(value)
    except ValidationError as error:
        raise DelegationError(" ".join(error.messages)) from None
    return value


def _organisation_record(*, credit_code: str) -> dict[str, Any]:
    existing = Applicant.objects.filter(id_type=IdType.USCC, id_number=credit_code).first()
    try:
        reading = identity_registry_read(
            kind=ApplicantKind.ORGANISATION,
            subject_id=credit_code,
            purpose=REPRESENTATIVE_PURPOSE,
            applicant=existing,
        )
    except IdentityCheckUnavailableError as error:
        raise DelegationError(str(error)) from None
    if reading.outcome != VerificationOutcome.OK or reading.data is None:
        raise DelegationError(_("法人库中没有该统一社会信用代码的单位，请核对。"))
    return reading.data


def _representative_organisation(*, person: Applicant, credit_code: str) -> Applicant:
    """The organisation, created from the registry if new, when the registry names
    ``person`` its legal representative; else ``DelegationError``."""
    record = _organisation_record(credit_code=credit_code)
    if str(record.get("legal_representative_id") or "") != person.id_number:
        raise DelegationError(_("法人库登记的法定代表人不是您，不能以法定代表人身份操作该单位。"))
    status = str(record.get("status") or "")
    if status in INACTIVE_STATUSES:
        raise DelegationError(
            _("该单位在法人库中的登记状态为「%(status)s」，不能以该单位名义办理。")
            % {"status": status}
        )
    check = applicant_identifier_check(id_type=IdType.USCC, id_number=credit_code)
    with transaction.atomic():
        organisation = applicant_get_or_create(check=check, name=str(record.get("name") or ""))
        representative = str(record.get("legal_representative") or "")
        if representative and organisation.legal_representative != representative:
            organisation.legal_representative = representative
            organisation.save(update_fields=["legal_representative", "updated_at"])
    return organisation


def _require_person(person: Applicant) -> None:
    if person.kind != ApplicantKind.PERSON:
        raise DelegationError(_("请以本人身份登录后再操作。"))


def valid_delegations(*, delegate: Applicant) -> QuerySet[Delegation]:
    """The delegations that let ``delegate`` act today, with their organisations."""
    return Delegation.objects.filter(
        delegate=delegate, revoked_at__isnull=True, valid_until__gte=timezone.localdate()
    ).select_related("organisation")


def delegation_basis_is_valid(*, basis: str, person_id: int, organisation_id: int) -> bool:
    """Whether the acting session's basis still holds: a delegation must be unrevoked,
    within its period and between exactly these two; the legal representative was read
    from the registry when they switched."""
    if basis == BASIS_LEGAL_REPRESENTATIVE:
        return True
    if not basis.startswith(BASIS_DELEGATION_PREFIX):
        return False
    delegation_id = basis.removeprefix(BASIS_DELEGATION_PREFIX)
    if not delegation_id.isdigit():
        return False
    return (
        valid_delegations(delegate=Applicant(pk=person_id))
        .filter(pk=int(delegation_id), organisation_id=organisation_id)
        .exists()
    )


def acting_right_get(*, person: Applicant, credit_code: str) -> ActingRight:
    """May ``person`` act for the organisation with this code? A valid delegation is
    found without any read; otherwise the legal-person registry is asked whether they
    are its legal representative. ``DelegationError`` says why not."""
    _require_person(person)
    credit_code = credit_code_clean(credit_code=credit_code)
    delegation = (
        valid_delegations(delegate=person).filter(organisation__id_number=credit_code).first()
    )
    if delegation is not None:
        return ActingRight(
            organisation=delegation.organisation,
            basis=f"{BASIS_DELEGATION_PREFIX}{delegation.pk}",
        )
    organisation = _representative_organisation(person=person, credit_code=credit_code)
    return ActingRight(organisation=organisation, basis=BASIS_LEGAL_REPRESENTATIVE)


def _valid_until_clean(valid_until: dt.date | None) -> dt.date:
    today = timezone.localdate()
    if valid_until is None:
        raise DelegationError(_("请填写授权有效期。"))
    if valid_until < today:
        raise DelegationError(_("授权有效期不能早于今天。"))
    if valid_until > today + dt.timedelta(days=DELEGATION_MAX_DAYS):
        raise DelegationError(_("授权有效期最长三年。"))
    return valid_until


def _delegate_find(*, id_number: str, name: str) -> Applicant:
    number = normalise_identifier(id_number or "")
    try:
        validate_resident_id(number)
    except ValidationError as error:
        raise DelegationError(" ".join(error.messages)) from None
    delegate = Applicant.objects.filter(
        id_type=IdType.RESIDENT_ID,
        id_number=number,
        name=" ".join((name or "").split()),
        verified_phone__isnull=False,
    ).first()
    if delegate is None:
        raise DelegationError(
            _("未找到已实名注册的被授权人，请核对姓名和身份证号码，或请其先在网上注册。")
        )
    return delegate


def delegation_grant(
    *,
    granter: Applicant,
    credit_code: str,
    delegate_id_number: str,
    delegate_name: str,
    valid_until: dt.date | None,
) -> Delegation:
    """The legal representative lets a registered person act for the organisation
    until ``valid_until``. The delegate sees the organisation in their /me/ at once."""
    _require_person(granter)
    credit_code = credit_code_clean(credit_code=credit_code)
    valid_until = _valid_until_clean(valid_until)
    # The registry first: only a confirmed representative learns whether the delegate
    # has signed up (else anyone could ask it of any name and ID number).
    organisation = _representative_organisation(person=granter, credit_code=credit_code)
    delegate = _delegate_find(id_number=delegate_id_number, name=delegate_name)
    if delegate.pk == granter.pk:
        raise DelegationError(_("不能授权给自己：法定代表人本人可直接切换到单位。"))
    with transaction.atomic():
        current = (
            Delegation.objects.select_for_update()
            .filter(organisation=organisation, delegate=delegate, revoked_at__isnull=True)
            .filter(valid_until__gte=timezone.localdate())
            .first()
        )
        if current is not None:
            raise DelegationError(
                _("该人员已有本单位的有效授权（至%(date)s），如需变更请先撤销。")
                % {"date": current.valid_until.isoformat()}
            )
        return Delegation.objects.create(
            organisation=organisation,
            delegate=delegate,
            granted_by=granter,
            valid_until=valid_until,
        )


def delegation_revoke(*, person: Applicant, delegation_id: int) -> Delegation:
    """The representative who granted it — or whoever the registry names the legal
    representative now — ends a delegation; the delegate's acting session ends with it."""
    _require_person(person)
    delegation = (
        Delegation.objects.select_related("organisation")
        .filter(pk=delegation_id, revoked_at__isnull=True)
        .first()
    )
    if delegation is None:
        raise DelegationError(_("未找到该授权，或已撤销。"))
    if delegation.granted_by_id != person.pk:
        try:
            _representative_organisation(
                person=person, credit_code=delegation.organisation.id_number
            )
        except DelegationError:
            # Someone else's delegation: as if it did not exist.
            raise DelegationError(_("未找到该授权，或已撤销。")) from None
    with transaction.atomic():
        updated = Delegation.objects.filter(pk=delegation.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=person
        )
        if not updated:
            raise DelegationError(_("未找到该授权，或已撤销。"))
    delegation.refresh_from_db()
    return delegation
