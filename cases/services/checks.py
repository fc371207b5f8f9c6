"""Automatic checks of an approval against the registries its item's materials name.

Checks read through the sharing gateway as the approving department, so every
read is logged with its purpose. When the item allows it (秒批) and every check
passes, the approval is granted at once; otherwise it goes to the department's
reviewers with the results attached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.constants import RegistryKind
from departments.models import Registry

from ..constants import ApplicantKind, ApprovalState, EventKind, VerificationOutcome
from ..exceptions import ConcurrentTransitionError, InvalidTransitionError
from ..models import Approval
from ..selectors.engine import approval_with_context, item_requirements
from .jobs import RunningJob, job_done_in_this_transaction
from .overrides import (
    APPLICANT_REGISTRY_KIND,
    CERTIFIED_APPLICANT_FIELDS,
    applicant_field_label,
    applicant_registry_values,
    case_has_registry_override,
)
from .review import approval_after_approved
from .sharing import RegistryReadRequest, purpose_text, registry_reads
from .transitions import run_transition

Rule = Callable[[dict[str, Any]], bool]

# registry kind → (applicant kinds it describes, what the record must say to pass)
CHECK_RULES: dict[str, tuple[set[str], Rule]] = {
    RegistryKind.POPULATION: ({ApplicantKind.PERSON}, lambda data: True),
    RegistryKind.REAL_ESTATE: ({ApplicantKind.PERSON}, lambda data: bool(data.get("titles"))),
    RegistryKind.LEGAL_PERSON: (
        {ApplicantKind.ORGANISATION},
        lambda data: data.get("status") == "存续",
    ),
    RegistryKind.SOCIAL_INSURANCE: (
        {ApplicantKind.PERSON, ApplicantKind.ORGANISATION},
        lambda data: data.get("status") == "正常参保",
    ),
    RegistryKind.TAX: (
        {ApplicantKind.PERSON, ApplicantKind.ORGANISATION},
        lambda data: not data.get("arrears"),
    ),
}


def approval_registries(*, approval: Approval) -> list[Registry]:
    """The registries the item's requirements can be verified in, that describe this applicant."""
    kind = approval.case.applicant.kind
    registries = {
        requirement.material_type.verifiable_by.pk: requirement.material_type.verifiable_by
        for requirement in item_requirements(item_id=approval.item_id)
        if requirement.material_type.verifiable_by is not None
    }
    return sorted(
        (
            registry
            for registry in registries.values()
            if kind in CHECK_RULES.get(registry.kind, (set(),))[0]
        ),
        key=lambda registry: registry.code,
    )


def approval_check(*, approval: Approval) -> list[dict[str, Any]]:
    """Every check of the approval, read through the gateway at once: remote registries
    answer in parallel, each read logged with its purpose."""
    applicant = approval.case.applicant
    registries = approval_registries(approval=approval)
    purpose = purpose_text(gettext_lazy("办理「%(item)s」自动核验"), item=approval.item.name)
    readings = registry_reads(
        requests=[
            RegistryReadRequest(
                registry=registry,
                subject_id=applicant.id_number,
                purpose=purpose,
                department=approval.department,
                case=approval.case,
                applicant=applicant,
            )
            for registry in registries
        ]
    )
    results = []
    own_kind = APPLICANT_REGISTRY_KIND[applicant.kind]
    for registry, reading in zip(registries, readings, strict=True):
        rule = CHECK_RULES[registry.kind][1]
        passed = reading.outcome == VerificationOutcome.OK and rule(reading.data or {})
        result = {
            "registry": registry.code,
            "registry_name": registry.name,
            "outcome": reading.outcome,
            "passed": passed,
            "verification": reading.verification.pk,
        }
        if registry.kind == own_kind and reading.outcome == VerificationOutcome.OK:
            # The registry verified the applicant: what it says of them is what their
            # certificate will say (``certificate_subject``).
            subject = applicant_registry_values(kind=applicant.kind, record=reading.data or {})
            result["subject"] = {
                name: subject[name] for name in CERTIFIED_APPLICANT_FIELDS if name in subject
            }
        results.append(result)
    return results


def approval_hold_reasons(*, approval: Approval, checks: list[dict[str, Any]]) -> list[str]:
    """Why an approval that could be granted automatically waits for a reviewer instead:
    a registry-provided value of the case was replaced (with a reason), or the registry
    the checks just read names the applicant differently from the case."""
    reasons = []
    if case_has_registry_override(case_id=approval.case_id):
        reasons.append(_("受理时改动了共享数据登记的申请人信息或申请表，须人工审查。"))
    applicant = approval.case.applicant
    for check in checks:
        for name, value in (check.get("subject") or {}).items():
            # A detail missing on the applicant is filled from the registry, not a difference.
            held_value = str(getattr(applicant, name, "") or "").strip()
            if held_value and held_value != value:
                reasons.append(
                    _("「%(field)s」与%(registry)s登记的不一致，须人工审查。")
                    % {"field": applicant_field_label(name), "registry": check["registry_name"]}
                )
    return reasons


def approval_run_checks(*, approval_id: int, running_job: RunningJob | None = None) -> Approval:
    """Run the checks of a ``PENDING`` approval and move it on. Running it again does nothing.

    The registry reads come first, outside any transaction (the sharing gateway logs
    each read in its own); the decision follows in one transaction. ``running_job``:
    the outbox job this runs as (its "done" commits with the decision, and the first
    approval the grant unblocks may be run next by the same worker)."""
    approval = approval_with_context(approval_id=approval_id)
    if approval.state != ApprovalState.PENDING:
        return approval
    checks = approval_check(approval=approval)
    all_passed = all(check["passed"] for check in checks)
    held = approval_hold_reasons(approval=approval, checks=checks) if all_passed else []
    try:
        with transaction.atomic():
            if approval.item.auto_decide and all_passed and not held:
                approval = run_transition(
                    approval,
                    "auto_approve",
                    actor_label="system",
                    event_kind=EventKind.DECISION,
                    note=_("自动核验全部通过，秒批。"),
                    checks=checks,
                )
                approval_after_approved(approval=approval, running_job=running_job)
            else:
                approval = run_transition(
                    approval,
                    "start_review",
                    actor_label="system",
                    note="".join(held),
                    checks=checks,
                )
            # Run as an outbox job: the decision and the job's "done" commit together.
            job_done_in_this_transaction(running_job=running_job)
    except (InvalidTransitionError, ConcurrentTransitionError):
        # Another run of this task got there first: its result stands.
        return Approval.objects.get(pk=approval_id)
    return approval
