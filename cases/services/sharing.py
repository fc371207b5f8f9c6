"""The one gateway for reading another department's data.

Deny by default: without an active ``SharingAgreement`` for the reading
department and the registry, the read is refused. Every call, granted or
refused, leaves exactly one ``Verification`` row (the data-access log) with
the purpose (用证事由), the case, who read, and SHA-256 digests of the request
and the response; the applicant can later see the rows about them.

A read that happened stays logged even when the caller's transaction rolls
back. The row is written in the caller's transaction (so the case can point at
it), and when there is such a transaction a *guard* — a thread with its own
database connection — waits for that transaction to end and writes the same
row again under the same ``log_key`` if it did not survive. The guard waits on
what the database itself offers: on SQLite the write lock the caller's
``BEGIN IMMEDIATE`` holds, on PostgreSQL a transaction-level advisory lock the
caller takes for the read. References to rows that rolled back with the
caller (a case created in the same transaction) are left empty in the rewritten
row; the subject, the purpose and the hashes always stay.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, router, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from departments.connectors import RegistryUnavailableError, connector_for
from departments.models import Department, Registry, SharingAgreement
from onewindow.precompiled import Precompiled

from ..constants import VerificationOutcome
from ..exceptions import CaseError
from ..models import Applicant, Case, Verification

logger = logging.getLogger(__name__)

PURPOSE_MAX_LENGTH = 200
# How long a guard waits for the caller's transaction before giving up (and logging it).
GUARD_PATIENCE_SECONDS = 3600
# At most this many remote registries are read at the same time for one batch.
PARALLEL_READS = 8


class PurposeRequiredError(CaseError):
    pass


class CaseRequiredError(CaseError):
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
        json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()
    ).hexdigest()


# The active agreements' periods: a read run for every registry check, compiled once.
_AGREEMENT_PERIODS = Precompiled(
    lambda consumer, registry: SharingAgreement.objects.filter(
        consumer_id=consumer, registry_id=registry, is_active=True
    ).values_list("valid_from", "valid_until")
)


def sharing_is_granted(*, department: Department, registry: Registry) -> bool:
    today = timezone.localdate()
    return any(
        valid_from <= today and (valid_until is None or today <= valid_until)
        for valid_from, valid_until in _AGREEMENT_PERIODS.all(
            consumer=department.pk, registry=registry.pk
        )
    )


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
    """One read the gateway is asked for (the arguments of ``registry_read``)."""

    registry: Registry
    subject_id: str
    purpose: str
    department: Department
    case: Case
    applicant: Applicant | None = None
    user: Any = None


def registry_read(
    *,
    registry: Registry,
    subject_id: str,
    purpose: str,
    department: Department,
    case: Case,
    applicant: Applicant | None = None,
    user: Any = None,
) -> RegistryReading:
    """Read one subject's record for a stated purpose and case; log the read whatever happens.

    Shared data is used only for a matter at hand: a purpose (1–200 characters)
    and the case are required, and a call without them reads nothing.
    """
    request = RegistryReadRequest(
        registry=registry,
        subject_id=subject_id,
        purpose=purpose,
        department=department,
        case=case,
        applicant=applicant,
        user=user,
    )
    return registry_reads(requests=[request])[0]


def registry_reads(*, requests: list[RegistryReadRequest]) -> list[RegistryReading]:
    """Several reads at once (an approval's checks): the reads of remote registries run in
    parallel threads, each still checked against its sharing agreement first and logged
    with exactly one row, in the order asked. A request without a purpose or a case
    refuses the whole batch before anything is read."""
    cleaned = [_cleaned(request) for request in requests]
    granted = [
        sharing_is_granted(department=request.department, registry=request.registry)
        for request in cleaned
    ]
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
    readings = []
    for index, request in enumerate(cleaned):
        if not granted[index]:
            data, outcome = None, VerificationOutcome.DENIED
        elif index in fetched:
            data, outcome = fetched[index]
        else:
            data, outcome = _fetch(connectors[index], request)
        readings.append(_log_reading(request, data=data, outcome=outcome))
    return readings


def _cleaned(request: RegistryReadRequest) -> RegistryReadRequest:
    purpose = (request.purpose or "").strip()
    if not purpose or len(purpose) > PURPOSE_MAX_LENGTH:
        raise PurposeRequiredError(_("查询共享数据必须说明用证事由（1至200个字）。"))
    if request.case is None or request.case.pk is None:
        raise CaseRequiredError(_("查询共享数据必须关联办件。"))
    return replace(request, purpose=purpose)


def _fetch(connector: Any, request: RegistryReadRequest) -> tuple[dict[str, Any] | None, str]:
    try:
        data = connector.fetch(registry=request.registry, subject_id=request.subject_id)
    except RegistryUnavailableError:
        logger.exception("registry %s unavailable", request.registry.code)
        return None, VerificationOutcome.ERROR
    return data, VerificationOutcome.OK if data is not None else VerificationOutcome.NO_MATCH


def _log_reading(
    request: RegistryReadRequest, *, data: dict[str, Any] | None, outcome: str
) -> RegistryReading:
    described = {
        "registry": request.registry.code,
        "subject": request.subject_id,
        "purpose": request.purpose,
        "department": request.department.code,
        "case": request.case.tracking_no,
    }
    user = request.user
    fields = {
        "log_key": uuid.uuid4(),
        "registry_id": request.registry.pk,
        "subject_id": request.subject_id,
        "applicant_id": request.applicant.pk if request.applicant is not None else None,
        "purpose": request.purpose,
        "case_id": request.case.pk,
        "requesting_department_id": request.department.pk,
        "requested_by_id": user.pk if getattr(user, "is_authenticated", False) else None,
        "outcome": outcome,
        "request_sha256": _digest(described),
        "response_sha256": _digest(data) if data is not None else "",
        "created_at": timezone.now(),
    }
    verification = _log_write(fields)
    return RegistryReading(verification=verification, data=data)


# --- the log that survives the caller's rollback -------------------------------------------


_guards: list[threading.Thread] = []
_guards_lock = threading.Lock()


def _in_caller_transaction(alias: str) -> bool:
    connection = connections[alias]
    if not connection.in_atomic_block:
        return False
    # Inside Django's TestCase wrapper nothing is ever committed, so a guard
    # would only write after the test's rollback, into the next test. Tests of
    # the rollback case run with real transactions (transaction=True).
    return not any(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _advisory_key(log_key: uuid.UUID) -> int:
    return log_key.int & 0x7FFF_FFFF_FFFF_FFFF


def _log_write(fields: dict[str, Any]) -> Verification:
    alias = router.db_for_write(Verification) or DEFAULT_DB_ALIAS
    guarded = _in_caller_transaction(alias)
    connection = connections[alias]
    if guarded and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_advisory_key(fields["log_key"])])
    verification = Verification.objects.using(alias).create(**fields)
    if guarded:
        # Only after our insert: on SQLite that insert holds the write lock, so
        # the guard cannot look before the caller's transaction has ended.
        guard = threading.Thread(
            target=_guard_run, args=(alias, dict(fields)), name="verification-guard", daemon=True
        )
        with _guards_lock:
            _guards[:] = [thread for thread in _guards if thread.is_alive()]
            _guards.append(guard)
        guard.start()
    return verification


def _guard_run(alias: str, fields: dict[str, Any]) -> None:
    deadline = time.monotonic() + GUARD_PATIENCE_SECONDS
    try:
        while True:
            try:
                _guard_write(alias, fields)
                return
            except OperationalError:
                # SQLite's busy timeout ran out while the caller still holds the lock.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    except Exception:
        logger.exception(
            "data-access log row %s could not be secured after the caller's transaction",
            fields["log_key"],
        )
    finally:
        connections.close_all()


def _guard_write(alias: str, fields: dict[str, Any]) -> None:
    connection = connections[alias]
    with transaction.atomic(using=alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s)", [_advisory_key(fields["log_key"])]
                )
        if Verification.objects.using(alias).filter(log_key=fields["log_key"]).exists():
            return
        row = dict(fields)
        for field, model in (
            ("case_id", Case),
            ("applicant_id", Applicant),
            ("requested_by_id", get_user_model()),
        ):
            if (
                row[field] is not None
                and not model.objects.using(alias).filter(pk=row[field]).exists()
            ):
                row[field] = None
        Verification.objects.using(alias).create(**row)
        logger.info("data-access log row %s rewritten after the caller's rollback", row["log_key"])


def verification_guards_wait(*, timeout: float = 30.0) -> bool:
    """Wait for the pending guards (tests, graceful shutdown). True when none is left."""
    deadline = time.monotonic() + timeout
    with _guards_lock:
        pending = list(_guards)
    for guard in pending:
        guard.join(max(0.0, deadline - time.monotonic()))
    return not any(guard.is_alive() for guard in pending)
