"""The one gateway for reading another department's data.

Deny by default: without an active ``SharingAgreement`` for the reading
department and the registry, the read is refused. Every call, granted or
refused, leaves exactly one ``Verification`` row (the data-access log) with
the purpose (用证事由), the case, who read, and SHA-256 digests of the request
and the response; the applicant can later see the rows about them.

A read that happened stays logged, and at once. The gateway writes its log rows
in a transaction of its own (``durable``), committed before it returns: nothing
the caller does afterwards can roll them back, and every other connection sees
them immediately. So the gateway runs only outside the caller's transactions and
refuses a call inside an ``atomic`` block (``RegistryReadInTransactionError``):
a registry read is network I/O, which has no place inside a database transaction
(on SQLite an open transaction holds the write lock), and a log row written
there would roll back with the caller's work. Callers read first, then open
their transaction with what they read (``approval_run_checks``, intake's
prefill and checklist).

A read that decides whether a case is opened at all (intake's check of a credit
code that fails its check character) is made before the case exists
(``opening_case``): its row names the subject, the purpose and the hashes but no
case, and the case opened after it points at the row (its ``id_check_override``
event). A read that checks who a person is, outside any matter (real-name
verification at online sign-up, the check that a signed-in person is an
organisation's legal representative), is an ``identity_check``: it has no case and
never gets one; its row names the subject, the purpose and the hashes, and the
subject sees it in "who read my data" like any other. A log row is never changed afterwards: it is a link of the audit hash
chain (``cases/audit.py``).

``registry_reads`` is the gateway's one path: a batch of requests, checked against
the agreements in one query (``_active_agreements``), the remote registries read in
parallel, and the rows logged in one transaction (``_log_readings``).
``registry_read`` is one request of it; a set-based read for a whole population
would be another entry beside it, with the same refusal, agreement check and log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from departments.connectors import RegistryUnavailableError, connector_for
from departments.models import Department, Registry
from sharing.selectors import agreements_active

from ..constants import VerificationOutcome
from ..exceptions import CaseError
from ..models import Applicant, Case, Verification

logger = logging.getLogger(__name__)

PURPOSE_MAX_LENGTH = 200
# At most this many remote registries are read at the same time for one batch.
PARALLEL_READS = 8


class PurposeRequiredError(CaseError):
    pass


class CaseRequiredError(CaseError):
    pass


class RegistryReadInTransactionError(RuntimeError):
    """The gateway was called inside an ``atomic`` block: a programming error. Read
    first, then open the transaction that uses what was read."""


@dataclass(frozen=True)
class RegistryReading:
    verification: Verification
    data: dict[str, Any] | None

    @property
    def outcome(self) -> str:
        return self.verification.outcome


def _digest(value: Any) -> str:
    return hashlib.sha256(
        json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()
    ).hexdigest()


def _active_agreements(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of ``(department id, registry id)`` pairs, those an agreement covers today (one
    query; the batch read asks the same question)."""
    return agreements_active(pairs)


def sharing_is_granted(*, department: Department, registry: Registry) -> bool:
    """Whether an active agreement lets ``department`` read ``registry`` today."""
    pair = (department.pk, registry.pk)
    return pair in _active_agreements({pair})


def purpose_text(message: Any, **params: Any) -> str:
    """A purpose as the data-access log keeps it: in the site's language (Chinese),
    whatever language the clerk's screen is in — the log is a record that applicants
    ("who read my data") and supervisors read, and one applicant's reads should not
    come in the languages of the different people who made them. ``message`` is a lazy
    translatable string with ``%(name)s`` parameters."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % params


@dataclass(frozen=True)
class RegistryReadRequest:
    """One read the gateway is asked for (the arguments of ``registry_read``).

    ``opening_case``: the read decides whether a case is opened at all, so there is
    no case yet (``case`` stays ``None``); the case opened after it points at the
    logged row. ``identity_check``: the read checks who someone is, for no matter at
    all (a citizen's sign-up, acting for an organisation); it never has a case."""

    registry: Registry
    subject_id: str
    purpose: str
    department: Department
    case: Case | None
    applicant: Applicant | None = None
    user: Any = None
    opening_case: bool = False
    identity_check: bool = False


def registry_read(
    *,
    registry: Registry,
    subject_id: str,
    purpose: str,
    department: Department,
    case: Case | None,
    applicant: Applicant | None = None,
    user: Any = None,
    opening_case: bool = False,
    identity_check: bool = False,
) -> RegistryReading:
    """Read one subject's record for a stated purpose and case; log the read whatever happens.

    Shared data is used only for a matter at hand: a purpose (1–200 characters)
    and the case (or ``opening_case``, before it exists, or ``identity_check``, for a
    check of who someone is that belongs to no case) are required, and a call without
    them reads nothing. Call it outside any transaction: the log row is committed
    before this returns.
    """
    request = RegistryReadRequest(
        registry=registry,
        subject_id=subject_id,
        purpose=purpose,
        department=department,
        case=case,
        applicant=applicant,
        user=user,
        opening_case=opening_case,
        identity_check=identity_check,
    )
    return registry_reads(requests=[request])[0]


def registry_reads(*, requests: list[RegistryReadRequest]) -> list[RegistryReading]:
    """Several reads at once (an approval's checks): the reads of remote registries run in
    parallel threads, each still checked against its sharing agreement first and logged
    with exactly one row, in the order asked; the rows are committed together before this
    returns. A request without a purpose or a case refuses the whole batch before anything
    is read, and so does a call inside a transaction."""
    alias = router.db_for_write(Verification) or DEFAULT_DB_ALIAS
    _refuse_inside_transaction(alias)
    cleaned = [_cleaned(request) for request in requests]
    if not cleaned:
        return []
    active = _active_agreements(
        {(request.department.pk, request.registry.pk) for request in cleaned}
    )
    granted = [(request.department.pk, request.registry.pk) in active for request in cleaned]
    connectors = [connector_for(request.registry) for request in cleaned]
    remote = [
        index
        for index, request in enumerate(cleaned)
        if granted[index] and getattr(connectors[index], "remote", False)
    ]
    fetched: dict[int, tuple[dict[str, Any] | None, str]] = {}
    if len(remote) > 1:
        # Threads do network I/O only: no database work leaves the caller's connection.
        with ThreadPoolExecutor(max_workers=min(len(remote), PARALLEL_READS)) as pool:
            futures = {
                index: pool.submit(_fetch, connectors[index], cleaned[index]) for index in remote
            }
            fetched = {index: future.result() for index, future in futures.items()}
    results: list[tuple[dict[str, Any] | None, str]] = []
    for index, request in enumerate(cleaned):
        if not granted[index]:
            results.append((None, VerificationOutcome.DENIED))
        elif index in fetched:
            results.append(fetched[index])
        else:
            results.append(_fetch(connectors[index], request))
    return _log_readings(cleaned, results, using=alias)


def _refuse_inside_transaction(alias: str) -> None:
    """Refuse to read inside the caller's transaction, before anything is read.

    Django's durable ``atomic`` block is the supported test of "not inside another
    atomic block": it raises when there is one, and it knows a test case's own
    wrapping transaction from a caller's. The block is empty: on PostgreSQL it sends
    nothing, on SQLite a ``BEGIN IMMEDIATE`` and its ``COMMIT``."""
    try:
        with transaction.atomic(using=alias, durable=True):
            pass
    except RuntimeError as error:
        raise RegistryReadInTransactionError(
            "the sharing gateway reads outside transactions: read first, then open the "
            "transaction that uses what was read"
        ) from error


def _cleaned(request: RegistryReadRequest) -> RegistryReadRequest:
    purpose = (request.purpose or "").strip()
    if not purpose or len(purpose) > PURPOSE_MAX_LENGTH:
        raise PurposeRequiredError(_("查询共享数据必须说明用证事由（1至200个字）。"))
    if request.opening_case and request.identity_check:
        raise ValueError("a read is for opening a case or an identity check, not both")
    if request.opening_case or request.identity_check:
        if request.case is not None:
            raise ValueError("a read for opening a case or an identity check has no case")
    elif request.case is None or request.case.pk is None:
        raise CaseRequiredError(_("查询共享数据必须关联办件。"))
    return replace(request, purpose=purpose)


def _fetch(connector: Any, request: RegistryReadRequest) -> tuple[dict[str, Any] | None, str]:
    try:
        data = connector.fetch(registry=request.registry, subject_id=request.subject_id)
    except RegistryUnavailableError:
        logger.exception("registry %s unavailable", request.registry.code)
        return None, VerificationOutcome.ERROR
    return data, VerificationOutcome.OK if data is not None else VerificationOutcome.NO_MATCH


def _log_readings(
    requests: list[RegistryReadRequest],
    results: list[tuple[dict[str, Any] | None, str]],
    *,
    using: str,
) -> list[RegistryReading]:
    """One log row per read, all committed together in the gateway's own transaction."""
    readings = []
    with transaction.atomic(using=using, durable=True):
        for request, (data, outcome) in zip(requests, results, strict=True):
            verification = Verification.objects.using(using).create(
                **_log_fields(request, data=data, outcome=outcome)
            )
            readings.append(RegistryReading(verification=verification, data=data))
    return readings


def _log_fields(
    request: RegistryReadRequest, *, data: dict[str, Any] | None, outcome: str
) -> dict[str, Any]:
    described = {
        "registry": request.registry.code,
        "subject": request.subject_id,
        "purpose": request.purpose,
        "department": request.department.code,
        "case": request.case.tracking_no if request.case is not None else "",
    }
    user = request.user
    return {
        "log_key": uuid.uuid4(),
        "registry_id": request.registry.pk,
        "subject_id": request.subject_id,
        "applicant_id": request.applicant.pk if request.applicant is not None else None,
        "purpose": request.purpose,
        "case_id": request.case.pk if request.case is not None else None,
        "requesting_department_id": request.department.pk,
        "requested_by_id": user.pk if getattr(user, "is_authenticated", False) else None,
        "outcome": outcome,
        "request_sha256": _digest(described),
        "response_sha256": _digest(data) if data is not None else "",
        "created_at": timezone.now(),
    }
