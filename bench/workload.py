"""A stream of "open a restaurant" cases, shared by the lifecycle benchmark and the
integration test with real workers.

Run as a program in full mode (``REDIS_URL`` and ``DATABASE_URL`` set) to accept
cases whose dispatch and approvals real Celery workers then carry out::

    python -m bench.workload accept --cases 200      # prints the case ids as JSON

The companies are demo companies whose registry checks all pass, so every
approval is decided automatically (秒批) and a case ends ``APPROVED``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from typing import Any

BUNDLE = "OPEN_RESTAURANT"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.dev")
    import django

    django.setup()


def workload_applicants() -> list[Any]:
    """Demo companies that pass every check of the bundle (load the demo first)."""
    from cases.constants import ApplicantKind, IdType
    from cases.models import Applicant
    from departments.models import RegistryRecord

    records = {
        (record.registry.kind, record.subject_id): record.data
        for record in RegistryRecord.objects.select_related("registry")
    }
    applicants = []
    for (kind, subject_id), data in sorted(records.items()):
        if kind != "legal_person" or data.get("status") != "存续":
            continue
        insurance = records.get(("social_insurance", subject_id), {})
        tax = records.get(("tax", subject_id), {})
        if insurance.get("status", "正常参保") != "正常参保" or tax.get("arrears"):
            continue
        applicant, _ = Applicant.objects.get_or_create(
            id_type=IdType.USCC,
            id_number=subject_id,
            defaults={"kind": ApplicantKind.ORGANISATION, "name": data["name"]},
        )
        applicants.append(applicant)
    if not applicants:
        raise SystemExit("no demo company passes the checks: run `manage.py load_demo` first")
    return applicants


def workload_prepare(*, cases: int) -> list[int]:
    """Create and submit ``cases`` cases as a clerk at the window would (not yet accepted)."""
    from django.contrib.auth import get_user_model

    from cases.services.intake import case_create, case_submit
    from departments.models import Bundle

    clerk = get_user_model().objects.get(username="clerk")
    bundle = Bundle.objects.get(code=BUNDLE)
    applicants = workload_applicants()
    case_ids = []
    for number in range(cases):
        case = case_create(
            applicant=applicants[number % len(applicants)], bundle=bundle, created_by=clerk
        )
        case_ids.append(case_submit(case=case, actor=clerk).pk)
    return case_ids


def workload_accept(*, case_ids: list[int]) -> list[int]:
    """Accept the cases one by one; each acceptance publishes its dispatch to the workers."""
    from django.contrib.auth import get_user_model

    from cases.models import Case
    from cases.services.intake import case_accept

    clerk = get_user_model().objects.get(username="clerk")
    for case in Case.objects.filter(pk__in=case_ids).order_by("pk"):
        case_accept(case=case, actor=clerk)
    return case_ids


def workload_counts(*, case_ids: list[int]) -> dict[str, Any]:
    """What became of the cases: the figures the integration test asserts."""
    from django.db.models import Count

    from cases.constants import JobState
    from cases.invariants import invariant_counts
    from cases.models import Approval, Case, CaseEvent, Job
    from certificates.models import Certificate

    cases = Case.objects.filter(pk__in=case_ids)
    approvals = Approval.objects.filter(case__in=cases)
    conclusions = Counter(
        CaseEvent.objects.filter(case__in=cases, name="conclude").values_list("case", flat=True)
    )
    decisions = Counter(
        CaseEvent.objects.filter(
            approval__in=approvals, name__in=["auto_approve", "approve", "reject"]
        ).values_list("approval", flat=True)
    )
    return {
        "cases": cases.count(),
        "case_states": dict(Counter(cases.values_list("state", flat=True))),
        "approvals": approvals.count(),
        "approval_states": dict(Counter(approvals.values_list("state", flat=True))),
        "cases_concluded_more_than_once": sum(1 for n in conclusions.values() if n > 1),
        "cases_concluded": len(conclusions),
        "approvals_decided_more_than_once": sum(1 for n in decisions.values() if n > 1),
        "certificates": Certificate.objects.filter(case__in=cases).count(),
        "approvals_with_two_certificates": Certificate.objects.filter(approval__in=approvals)
        .values("approval")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count(),
        # Approval work; the PDFs and OFDs go to the "documents" queue, which these workers
        # leave alone.
        "open_jobs": Job.objects.exclude(state=JobState.DONE)
        .exclude(kind__in=["issue_pdf", "issue_ofd"])
        .count(),
        "pdf_jobs": Job.objects.filter(
            kind="issue_pdf",
            payload__certificate_id__in=list(
                Certificate.objects.filter(case__in=cases).values_list("pk", flat=True)
            ),
        ).count(),
        "invariants": invariant_counts(),
    }


def workload_wait(*, case_ids: list[int], timeout: float, poll: float = 0.2) -> float:
    """Wait until every case is concluded; returns the seconds waited (raises on timeout)."""
    from cases.constants import CaseState
    from cases.models import Case

    started = time.monotonic()
    while True:
        open_cases = Case.objects.filter(
            pk__in=case_ids, state__in=[CaseState.ACCEPTED, CaseState.IN_REVIEW]
        ).count()
        if open_cases == 0:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{open_cases} cases still open after {timeout} s")
        time.sleep(poll)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    accept = commands.add_parser("accept", help="accept N cases (full mode: workers decide them)")
    accept.add_argument("--cases", type=int, default=200)
    counts = commands.add_parser("counts", help="print the counts of the given cases")
    counts.add_argument("case_ids", help="a JSON list of case ids")
    arguments = parser.parse_args(argv)
    setup_django()
    if arguments.command == "accept":
        prepared = workload_prepare(cases=arguments.cases)
        json.dump(workload_accept(case_ids=prepared), sys.stdout)
    else:
        json.dump(workload_counts(case_ids=json.loads(arguments.case_ids)), sys.stdout, indent=2)


if __name__ == "__main__":
    main()
