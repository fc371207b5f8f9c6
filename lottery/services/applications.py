"""Applying to a round, appealing a verdict (复核), and the officer's decision."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.constants import ApplicantKind, IdType
from cases.models import Applicant
from cases.services.jobs import job_enqueue
from cases.services.numbers import sequence_next
from cases.services.sharing import purpose_text
from departments.identifiers import normalise_identifier, validate_resident_id, validate_uscc
from sharing.services import sharing_purpose_get_or_create

from ..constants import ApplicationState, Channel
from ..models import Application, Round
from ..rules import ticket_weight
from .errors import AlreadyAppliedError, LotteryError, RoundNotOpenError
from .verification import POOL_JOB, applications_check

NAME_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 500
# Lottery codes are 13 digits: the application's sequence number times a multiplier prime
# to 10 (so no two coincide below 10¹³), shifted per round — they look unrelated to the
# order of applying and never repeat within a round, with no retry.
CODE_MODULUS = 10**13
CODE_MULTIPLIER = 7_919_370_937


def lottery_code_for(*, round_code: str, sequence: int) -> str:
    offset = int(hashlib.sha256(round_code.encode()).hexdigest(), 16) % CODE_MODULUS
    return f"{(sequence * CODE_MULTIPLIER + offset) % CODE_MODULUS:013d}"


def application_no_for(*, round_code: str, sequence: int) -> str:
    return f"{round_code}-{sequence:07d}"


def application_submit(
    *,
    round_: Round,
    id_type: str,
    id_number: str,
    name: str,
    phone: str = "",
    channel: str = Channel.ONLINE,
    user: Any = None,
) -> Application:
    """Apply to an open round: one application per applicant per round (the database's
    unique constraint decides; a second try raises ``AlreadyAppliedError`` naming the
    first application). The weight is fixed now, from the earlier rounds lost."""
    number = normalise_identifier(id_number or "")
    kind = _checked_identity(id_type=id_type, id_number=number)
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise LotteryError(_("请填写申请人姓名或名称（1至200个字）。"), field="name")
    phone = (phone or "").strip()
    if len(phone) > 20:
        raise LotteryError(_("联系电话过长。"), field="phone")
    if channel not in Channel.values:
        raise LotteryError(_("未知的申请渠道。"), field="channel")
    now = timezone.now()
    if not round_.is_open(now):
        raise RoundNotOpenError(_("本轮不在申请期内。"))
    if kind not in round_.rule_set.rules:
        raise LotteryError(
            _("本轮不接受%(kind)s申请。") % {"kind": ApplicantKind(kind).label}, field="id_type"
        )
    existing = _existing(round_=round_, id_type=id_type, id_number=number)
    if existing is not None:
        raise _already(existing)
    try:
        with transaction.atomic():
            applicant, _created = Applicant.objects.get_or_create(
                id_type=id_type,
                id_number=number,
                defaults={"kind": kind, "name": name, "phone": phone},
            )
            rounds_lost = Application.objects.filter(
                applicant=applicant, state=ApplicationState.NOT_WON
            ).count()
            sequence = sequence_next(name=f"lottery:{round_.code}")
            return Application.objects.create(
                round=round_,
                applicant=applicant,
                application_no=application_no_for(round_code=round_.code, sequence=sequence),
                lottery_code=lottery_code_for(round_code=round_.code, sequence=sequence),
                channel=channel,
                weight=ticket_weight(weight_rule=round_.rule_set.weight, rounds_lost=rounds_lost),
                submitted_by=user if getattr(user, "is_authenticated", False) else None,
                created_at=now,
            )
    except IntegrityError:
        existing = _existing(round_=round_, id_type=id_type, id_number=number)
        if existing is None:
            raise
        raise _already(existing) from None


def _checked_identity(*, id_type: str, id_number: str) -> str:
    if id_type == IdType.RESIDENT_ID:
        validator, kind = validate_resident_id, ApplicantKind.PERSON
    elif id_type == IdType.USCC:
        validator, kind = validate_uscc, ApplicantKind.ORGANISATION
    else:
        raise LotteryError(
            _("证件类型必须是居民身份证（resident_id）或统一社会信用代码（uscc）。"),
            field="id_type",
        )
    try:
        validator(id_number)
    except ValidationError as error:
        raise LotteryError(" ".join(error.messages), field="id_number") from None
    return kind


def _existing(*, round_: Round, id_type: str, id_number: str) -> Application | None:
    return Application.objects.filter(
        round=round_, applicant__id_type=id_type, applicant__id_number=id_number
    ).first()


def _already(existing: Application) -> AlreadyAppliedError:
    return AlreadyAppliedError(
        _("该申请人已申请本轮，申请编号 %(number)s。") % {"number": existing.application_no},
        application_no=existing.application_no,
    )


def application_appeal(*, application: Application, note: str) -> Application:
    """An ineligible applicant asks for a review before the draw: the registries are read
    again now (a bureau may have corrected its data). Passing makes the application
    eligible (and the pool is published again); still failing sends it to the lottery
    officer (``APPEALED``), as does a registry that cannot answer."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise LotteryError(_("复核理由不能超过500个字。"), field="note")
    round_ = application.round
    if round_.appeals_closed_at is not None:
        raise LotteryError(_("本轮已摇号，不能再申请复核。"))
    if application.state != ApplicationState.INELIGIBLE:
        raise LotteryError(_("只有审核未通过的申请可以申请复核。"))
    purpose = sharing_purpose_get_or_create(
        key=f"lottery:{round_.code}:appeal:{application.application_no}:{timezone.now():%Y%m%d%H%M%S%f}",
        purpose=purpose_text(
            "小客车指标摇号资格复核（%(round)s，%(number)s）",
            round=round_.code,
            number=application.application_no,
        ),
        department=round_.rule_set.department,
    )
    applicant = application.applicant
    [verdict] = applications_check(
        round_=round_,
        rows=[(application.pk, applicant.kind, applicant.id_number, None)],
        purpose=purpose,
    )
    now = timezone.now()
    with transaction.atomic():
        _appeals_still_open(round_id=round_.pk)
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state != ApplicationState.INELIGIBLE:
            raise LotteryError(_("只有审核未通过的申请可以申请复核。"))
        locked.appeal_note = note
        locked.appealed_at = now
        locked.verified_at = now
        if verdict.state == ApplicationState.ELIGIBLE:
            locked.state = ApplicationState.ELIGIBLE
            locked.reasons = []
            _pool_republish(round_id=round_.pk, why=f"appeal:{locked.application_no}:{now:%s%f}")
        else:
            locked.state = ApplicationState.APPEALED
            locked.reasons = verdict.reasons
        locked.facts = None
        locked.save(
            update_fields=["appeal_note", "appealed_at", "verified_at", "state", "reasons", "facts"]
        )
    return locked


def appeal_decide(
    *, application: Application, eligible: bool, reason: str, user: Any
) -> Application:
    """The lottery officer's decision on an appeal the registries did not settle, with
    its recorded reason."""
    reason = (reason or "").strip()
    if not reason or len(reason) > NOTE_MAX_LENGTH:
        raise LotteryError(_("请填写复核决定理由（1至500个字）。"), field="reason")
    with transaction.atomic():
        _appeals_still_open(round_id=application.round_id)
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state != ApplicationState.APPEALED:
            raise LotteryError(_("该申请不在待复核状态。"))
        now = timezone.now()
        locked.state = ApplicationState.ELIGIBLE if eligible else ApplicationState.INELIGIBLE
        locked.decision_reason = reason
        locked.decided_by = user
        locked.decided_at = now
        if eligible:
            locked.reasons = []
            _pool_republish(
                round_id=locked.round_id, why=f"decision:{locked.application_no}:{now:%s%f}"
            )
        locked.save(
            update_fields=["state", "decision_reason", "decided_by", "decided_at", "reasons"]
        )
    return locked


def _appeals_still_open(*, round_id: int) -> None:
    """Lock the round (the draw closes appeals under the same lock) and check it is not
    being drawn."""
    closed = (
        Round.objects.select_for_update()
        .filter(pk=round_id)
        .values_list("appeals_closed_at", flat=True)
        .get()
    )
    if closed is not None:
        raise LotteryError(_("本轮已摇号，复核已截止。"))


def _pool_republish(*, round_id: int, why: str) -> None:
    job_enqueue(kind=POOL_JOB, key=f"lottery:{round_id}:pool:{why}", payload={"round_id": round_id})
