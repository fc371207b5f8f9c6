"""Signing in to /me/ with the ID number and a one-time code sent to the registered phone.

Every answer is the same whether the ID number is registered or not: a code row
is written either way (and only sent when there is a phone to send it to), the
same limits apply, and checking a code takes the same path.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from cases.models import Applicant
from departments.identifiers import normalise_identifier, validate_resident_id, validate_uscc

from ..constants import (
    CODE_DIGITS,
    CODE_LIFETIME_SECONDS,
    CODE_MAX_ATTEMPTS,
    CODE_MAX_PER_HOUR,
    CODE_RESEND_SECONDS,
    CodePurpose,
)
from ..exceptions import SendTooOftenError, SignInError
from ..models import OneTimeCode
from ..sms import SmsUnavailableError, sms_backend

logger = logging.getLogger(__name__)

RESIDENT_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
CODE_SHAPE = re.compile(rf"^\d{{{CODE_DIGITS}}}$")


def _subject_hash(id_number: str) -> str:
    return salted_hmac("citizens.one-time-code.subject", id_number, algorithm="sha256").hexdigest()


def _code_hash(code: str, salt: str) -> str:
    return salted_hmac("citizens.one-time-code", f"{salt}:{code}", algorithm="sha256").hexdigest()


def id_number_clean(*, id_number: str) -> str:
    """The ID number as stored (no spaces, upper case), checked for its shape and check
    character — public rules, so saying what is wrong reveals nothing about anyone."""
    value = normalise_identifier(id_number or "")
    if not value:
        raise SignInError(_("请输入居民身份证号码或统一社会信用代码。"))
    validator = validate_resident_id if RESIDENT_ID_SHAPE.match(value) else validate_uscc
    try:
        validator(value)
    except ValidationError as error:
        raise SignInError(" ".join(error.messages)) from None
    return value


def one_time_code_subject(*, id_number: str) -> str:
    """The key under which the wrong codes typed for this ID number are counted (its
    HMAC: the number itself is never a cache key)."""
    try:
        id_number = id_number_clean(id_number=id_number)
    except SignInError:
        id_number = normalise_identifier(id_number or "")
    return _subject_hash(id_number)


def one_time_code_request(*, id_number: str, client_ip: str | None = None) -> OneTimeCode:
    """Ask for a code: one is sent by SMS to the phone registered for this ID number.

    The citizen always reads the same answer; behind it a code is sent only when
    the number belongs to an applicant with a phone. At most one code a minute and
    five an hour per ID number; a new code replaces the ones before it.
    """
    id_number = id_number_clean(id_number=id_number)
    return one_time_code_issue(
        subject_hash=_subject_hash(id_number),
        purpose=CodePurpose.SIGN_IN,
        applicant=lambda: Applicant.objects.filter(id_number=id_number).exclude(phone="").first(),
        client_ip=client_ip,
    )


def one_time_code_issue(
    *,
    subject_hash: str,
    purpose: str,
    applicant: Callable[[], Applicant | None] = lambda: None,
    phone: str = "",
    client_ip: str | None = None,
) -> OneTimeCode:
    """Write a new code for ``subject_hash`` and send it after commit: to ``phone`` when
    given (sign-up), else to the phone of the applicant ``applicant()`` finds.

    The limits of the subject (one code a minute, five an hour) are checked first and
    a new code voids the earlier ones of the same subject. Sign-in and sign-up hash
    their subjects with different keys, so neither voids nor counts the other's codes.
    """
    now = timezone.now()
    with transaction.atomic():
        recent = list(
            OneTimeCode.objects.filter(
                subject_hash=subject_hash, created_at__gte=now - dt.timedelta(hours=1)
            ).values_list("created_at", flat=True)
        )
        if recent:
            wait = CODE_RESEND_SECONDS - int((now - max(recent)).total_seconds())
            if wait > 0:
                raise SendTooOftenError(
                    _("验证码已发送，请%(seconds)s秒后再重新获取。") % {"seconds": wait}
                )
        if len(recent) >= CODE_MAX_PER_HOUR:
            raise SendTooOftenError(_("获取验证码次数过多，请一小时后再试。"))
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        salt = secrets.token_hex(16)
        # Only the newest code signs in.
        OneTimeCode.objects.filter(
            subject_hash=subject_hash, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        row = OneTimeCode.objects.create(
            subject_hash=subject_hash,
            applicant=applicant(),
            purpose=purpose,
            phone=phone,
            code_hash=_code_hash(code, salt),
            salt=salt,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=CODE_LIFETIME_SECONDS),
            client_ip=client_ip,
        )
        transaction.on_commit(lambda: _send_after_commit(code_id=row.pk, code=code))
    return row


# Sends one code by SMS through Celery (task ``citizens.send_one_time_code``): the task
# side registers it (``citizens/apps.py``), so this service never imports the tasks.
CodeSender = Callable[[int, str], None]
_code_sender: CodeSender | None = None


def one_time_code_sender_register(sender: CodeSender | None) -> CodeSender | None:
    """Set the function that queues a code for sending; returns the one it replaces."""
    global _code_sender
    previous, _code_sender = _code_sender, sender
    return previous


def _send_after_commit(*, code_id: int, code: str) -> None:
    try:
        if _code_sender is None:
            raise RuntimeError("no sign-in code sender registered (is the citizens app installed?)")
        _code_sender(code_id, code)
    except Exception:
        # A broker outage must not turn the committed request into an error page; the
        # citizen simply asks for a new code after a minute.
        logger.exception("sign-in code %s could not be queued for sending", code_id)


def one_time_code_deliver(*, code_id: int, plain_code: str) -> bool:
    """Send one code by SMS, once. Returns whether a message went out."""
    row = OneTimeCode.objects.select_related("applicant").filter(pk=code_id).first()
    if row is None or row.sent_at is not None:
        return False
    phone = row.phone or (row.applicant.phone if row.applicant is not None else "")
    if not phone or row.used_at is not None or row.expires_at <= timezone.now():
        return False
    if row.purpose == CodePurpose.SIGN_UP:
        text = _("【一窗通办】您的注册验证码为%(code)s，%(minutes)s分钟内有效。请勿告诉他人。")
    else:
        text = _("【一窗通办】您的登录验证码为%(code)s，%(minutes)s分钟内有效。请勿告诉他人。")
    message = text % {"code": plain_code, "minutes": CODE_LIFETIME_SECONDS // 60}
    try:
        sms_backend().send(phone=phone, message=message)
    except SmsUnavailableError:
        # The citizen asks again after a minute; the page must not tell them more.
        logger.warning("sign-in code %s not sent: SMS gateway unavailable", code_id, exc_info=True)
        return False
    OneTimeCode.objects.filter(pk=row.pk, sent_at__isnull=True).update(sent_at=timezone.now())
    return True


@dataclass(frozen=True)
class _Outcome:
    row: OneTimeCode | None
    error: str = ""


def one_time_code_verify(*, id_number: str, code: str) -> Applicant:
    """Check a code: right, unused, not expired, fewer than five tries. Returns the applicant.

    A wrong code uses up one of the five tries of the newest code; then it is void.
    """
    id_number = id_number_clean(id_number=id_number)
    row = one_time_code_check(subject_hash=_subject_hash(id_number), code=code)
    if row.applicant is None:  # never: a code without an applicant never matches
        raise SignInError(_("请先获取验证码。"))
    return row.applicant


def one_time_code_check(*, subject_hash: str, code: str, phone: str | None = None) -> OneTimeCode:
    """Check the newest code of ``subject_hash`` and use it up; raises ``SignInError``
    with what to do. ``phone`` given (sign-up): the code must have been sent to that
    number, and it needs no applicant; otherwise it signs in the applicant it was
    written for."""
    code = "".join((code or "").split())
    if not CODE_SHAPE.match(code):
        raise SignInError(_("验证码为%(digits)s位数字。") % {"digits": CODE_DIGITS})
    now = timezone.now()
    with transaction.atomic():
        row = (
            # Lock the code row only (the applicant is an outer join PostgreSQL cannot lock).
            OneTimeCode.objects.select_for_update(of=("self",))
            .select_related("applicant")
            .filter(
                subject_hash=subject_hash,
                purpose=CodePurpose.SIGN_IN if phone is None else CodePurpose.SIGN_UP,
            )
            .order_by("-created_at", "-id")
            .first()
        )
        outcome = _check(row, code, now, phone=phone)
    if outcome.row is None:
        raise SignInError(outcome.error)
    return outcome.row


def _check(row: OneTimeCode | None, code: str, now: dt.datetime, *, phone: str | None) -> _Outcome:
    if row is None:
        return _Outcome(None, _("请先获取验证码。"))
    if row.used_at is not None:
        return _Outcome(None, _("该验证码已使用过，请重新获取。"))
    if row.expires_at <= now:
        return _Outcome(None, _("验证码已过期，请重新获取。"))
    if row.attempts >= CODE_MAX_ATTEMPTS:
        return _Outcome(None, _("验证码错误次数过多，已作废，请重新获取。"))
    row.attempts += 1
    # An unregistered ID number has a code nobody received: never a match. A sign-up
    # code matches only for the number it was sent to.
    matches = constant_time_compare(_code_hash(code, row.salt), row.code_hash)
    receiver_known = row.applicant is not None if phone is None else row.phone == phone
    if not matches or not receiver_known:
        row.save(update_fields=["attempts"])
        remaining = CODE_MAX_ATTEMPTS - row.attempts
        if remaining <= 0:
            return _Outcome(None, _("验证码错误次数过多，已作废，请重新获取。"))
        return _Outcome(
            None, _("验证码不正确，还可以再试%(remaining)s次。") % {"remaining": remaining}
        )
    row.used_at = now
    row.save(update_fields=["attempts", "used_at"])
    return _Outcome(row)
