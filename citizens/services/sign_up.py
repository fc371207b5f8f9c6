"""Signing up online: name, resident ID number and a mobile number proved by SMS, then
the real-name check against the population registry.

The steps, and why in this order:

1. ``sign_up_details_clean`` checks the shape of what was typed (public rules only).
2. ``sign_up_code_request`` sends a code to the mobile number typed, through the same
   one-time-code machinery as sign-in (``services.sign_in.one_time_code_issue``: one
   code a minute and five an hour per ID number, and the same per mobile number here).
3. ``sign_up_complete`` uses the code up, then reads the population registry through
   the sharing gateway (an ``identity_check``: logged, no case), and only when the
   registry names exactly this person — a record exists, the name matches, the person
   is not recorded as deceased — finds or creates the ``Applicant`` with the window's
   rules and records the verified mobile. The code is spent even when the registry
   disagrees: every registry probe costs a fresh SMS to a phone one holds.

A refusal writes nothing but the read's log row (and the spent code).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.constants import ApplicantKind, IdType, VerificationOutcome
from cases.models import Applicant
from cases.services.intake.applicants import (
    applicant_get_or_create,
    applicant_identifier_check,
    applicant_registry,
)
from cases.services.sharing import RegistryReading, purpose_text, registry_read
from departments.identifiers import normalise_identifier, validate_resident_id
from departments.models import Department

from ..constants import CODE_MAX_PER_HOUR, CODE_RESEND_SECONDS, CodePurpose
from ..exceptions import (
    IdentityCheckUnavailableError,
    PhoneOnFileError,
    RealNameMismatchError,
    SendTooOftenError,
    SignUpError,
)
from ..models import OneTimeCode, VerifiedPhone
from .sign_in import RESIDENT_ID_SHAPE, one_time_code_check, one_time_code_issue

NAME_MAX_LENGTH = 50
# Mainland mobile numbers: 11 digits starting 13–19; "+86" / "86" and spaces are dropped.
MOBILE_SHAPE = re.compile(r"^1[3-9]\d{9}$")
REAL_NAME_PURPOSE = gettext_lazy("实名核验（网上注册）")
# Population-registry statuses of someone no longer alive (户籍注销 follows a death).
NOT_ALIVE_STATUSES = ("注销", "死亡")


@dataclass(frozen=True)
class SignUpDetails:
    """What the person typed, cleaned: the name as typed, the ID number as stored."""

    name: str
    id_number: str
    phone: str

    def as_session(self) -> dict[str, str]:
        return {"name": self.name, "id_number": self.id_number, "phone": self.phone}


def _mobile_clean(phone: str) -> str:
    value = re.sub(r"[\s\-()]", "", phone or "")
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    if not MOBILE_SHAPE.match(value):
        raise SignUpError(_("请输入11位中国大陆手机号码。"), field="phone")
    return value


def person_name_clean(*, name: str) -> str:
    """A person's name as compared with the registry: inner runs of spaces made one."""
    name = " ".join((name or "").split())
    if not name:
        raise SignUpError(_("请输入姓名。"), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise SignUpError(_("姓名最多%(limit)d个字。") % {"limit": NAME_MAX_LENGTH}, field="name")
    return name


def resident_id_clean(*, id_number: str) -> str:
    """A resident ID number as stored, checked for its shape and check character."""
    number = normalise_identifier(id_number or "")
    if not RESIDENT_ID_SHAPE.match(number):
        raise SignUpError(
            _("请输入18位居民身份证号码（单位请由法定代表人注册后切换）。"), field="id_number"
        )
    try:
        validate_resident_id(number)
    except ValidationError as error:
        raise SignUpError(" ".join(error.messages), field="id_number") from None
    return number


def sign_up_details_clean(*, name: str, id_number: str, phone: str) -> SignUpDetails:
    """The details checked for their shape only; ``SignUpError`` says which one is wrong."""
    return SignUpDetails(
        name=person_name_clean(name=name),
        id_number=resident_id_clean(id_number=id_number),
        phone=_mobile_clean(phone),
    )


def sign_up_subject(*, id_number: str) -> str:
    """The code rows' key of a sign-up for this ID number: an HMAC with its own key, so
    sign-up codes never void, count or answer for sign-in codes."""
    return salted_hmac("citizens.sign-up.subject", id_number, algorithm="sha256").hexdigest()


def phone_subject(*, phone: str) -> str:
    """The throttles' key of a mobile number (the number itself is never a cache key)."""
    return salted_hmac("citizens.sign-up.phone", phone, algorithm="sha256").hexdigest()


def _check_phone_limits(phone: str) -> None:
    """One code a minute and five an hour to one mobile number, whatever the ID number:
    nobody can flood a stranger's phone by typing many ID numbers."""
    now = timezone.now()
    recent = list(
        OneTimeCode.objects.filter(
            purpose=CodePurpose.SIGN_UP, phone=phone, created_at__gte=now - dt.timedelta(hours=1)
        ).values_list("created_at", flat=True)
    )
    if recent:
        wait = CODE_RESEND_SECONDS - int((now - max(recent)).total_seconds())
        if wait > 0:
            raise SendTooOftenError(
                _("验证码已发送到该手机号，请%(seconds)s秒后再重新获取。") % {"seconds": wait}
            )
    if len(recent) >= CODE_MAX_PER_HOUR:
        raise SendTooOftenError(_("该手机号获取验证码次数过多，请一小时后再试。"))


def sign_up_code_request(*, details: SignUpDetails, client_ip: str | None = None) -> OneTimeCode:
    """Send a sign-up code to the mobile number typed (after commit, by SMS).

    Limits: one code a minute and five an hour per ID number and per mobile number;
    a new code voids the earlier sign-up codes of the ID number."""
    _check_phone_limits(details.phone)
    return one_time_code_issue(
        subject_hash=sign_up_subject(id_number=details.id_number),
        purpose=CodePurpose.SIGN_UP,
        phone=details.phone,
        client_ip=client_ip,
    )


def identity_check_department() -> Department | None:
    """The department identity checks are read as: the window's (行政审批局 in the demo,
    ``WINDOW_DEPARTMENT_CODE``), as intake does when no clerk and no item is involved."""
    return Department.objects.filter(code=settings.WINDOW_DEPARTMENT_CODE).first()


def identity_registry_read(
    *, kind: str, subject_id: str, purpose: Any, applicant: Applicant | None
) -> RegistryReading:
    """Read the registry of persons or organisations about ``subject_id`` for an identity
    check (no case), as the window's department; logged whatever happens.
    ``IdentityCheckUnavailableError`` when it could not be read at all."""
    department = identity_check_department()
    registry = applicant_registry(kind=kind)
    if department is None or registry is None:
        raise IdentityCheckUnavailableError(
            _("实名核验服务暂时不可用，请稍后再试，或携带身份证到综合窗口办理。")
        )
    reading = registry_read(
        registry=registry,
        subject_id=subject_id,
        purpose=purpose_text(purpose),
        department=department,
        case=None,
        applicant=applicant,
        identity_check=True,
    )
    if reading.outcome in (VerificationOutcome.DENIED, VerificationOutcome.ERROR):
        raise IdentityCheckUnavailableError(
            _("实名核验服务暂时不可用，请稍后再试，或携带身份证到综合窗口办理。")
        )
    return reading


def _is_alive(record: dict[str, Any]) -> bool:
    if record.get("deceased") is True or record.get("is_alive") is False:
        return False
    if record.get("death_date"):
        return False
    return str(record.get("status") or "") not in NOT_ALIVE_STATUSES


def _phone_on_file_kept(existing: Applicant | None, phone: str) -> None:
    """A name and an ID number are no secret: whoever knows them must not move a person's
    account to their own phone. A person with a phone on file (given at the window, or
    verified at an earlier sign-up) signs up with that phone only; changing it is done
    at the window, with the ID card."""
    if existing is None:
        return
    on_file = {existing.phone} | set(
        VerifiedPhone.objects.filter(applicant=existing).values_list("phone", flat=True)
    )
    on_file.discard("")
    if on_file and phone not in on_file:
        raise PhoneOnFileError(
            _(
                "该身份证号码已登记了其他手机号。为保护您的办件，网上不能更换手机号："
                "请用登记的手机号注册或登录，或携带本人身份证到综合窗口变更。"
            ),
            field="phone",
        )


def sign_up_complete(*, details: SignUpDetails, code: str) -> Applicant:
    """The right code, then the real-name check: the person is linked and may sign in.

    The citizen sees their cases from the window at once (the same ``Applicant``); the
    mobile number becomes the phone on file, where sign-in codes go from now on.
    ``RealNameMismatchError`` when the registry does not confirm the name (nothing is
    written but the read's log row), ``IdentityCheckUnavailableError`` when it could
    not be read, ``SignInError`` for a wrong, used or expired code."""
    one_time_code_check(
        subject_hash=sign_up_subject(id_number=details.id_number), code=code, phone=details.phone
    )
    existing = Applicant.objects.filter(
        id_type=IdType.RESIDENT_ID, id_number=details.id_number
    ).first()
    reading = identity_registry_read(
        kind=ApplicantKind.PERSON,
        subject_id=details.id_number,
        purpose=REAL_NAME_PURPOSE,
        applicant=existing,
    )
    record = reading.data
    if reading.outcome != VerificationOutcome.OK or record is None:
        raise RealNameMismatchError(_("姓名与身份证号码不一致，请核对后重新注册。"))
    if str(record.get("name") or "") != details.name:
        raise RealNameMismatchError(_("姓名与身份证号码不一致，请核对后重新注册。"))
    if not _is_alive(record):
        raise RealNameMismatchError(_("未能通过实名核验，请携带本人身份证到综合窗口办理。"))
    _phone_on_file_kept(existing, details.phone)
    check = applicant_identifier_check(id_type=IdType.RESIDENT_ID, id_number=details.id_number)
    with transaction.atomic():
        applicant = applicant_get_or_create(check=check, name=details.name, phone=details.phone)
        VerifiedPhone.objects.update_or_create(
            applicant=applicant,
            defaults={
                "phone": details.phone,
                "verified_at": timezone.now(),
                "verification": reading.verification,
            },
        )
    return applicant
