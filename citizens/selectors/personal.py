"""The signed-in applicant's own rows: their cases and the certificates in their wallet.

Filtered by the applicant first; nothing reads another applicant's rows.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from cases.models import Applicant, Case
from certificates.models import Certificate
from departments.models import ServiceItem

from .public import tracking_no_clean


def applicant_cases(*, applicant: Applicant) -> QuerySet[Case]:
    return (
        Case.objects.filter(applicant=applicant)
        .select_related("rating")
        .prefetch_related(
            Prefetch("items", queryset=ServiceItem.objects.select_related("department"))
        )
        .order_by("-created_at", "-id")
    )


def applicant_case_get(*, applicant: Applicant, tracking_no: str) -> Case | None:
    return (
        Case.objects.select_related("applicant")
        .filter(applicant=applicant, tracking_no=tracking_no_clean(tracking_no))
        .first()
    )


def applicant_certificates(*, applicant: Applicant) -> QuerySet[Certificate]:
    """The wallet: every certificate the applicant holds, newest first."""
    return (
        Certificate.objects.filter(holder=applicant)
        .select_related("certificate_type", "issuing_department", "case")
        .order_by("-issued_at", "-id")
    )


def applicant_certificate_get(*, applicant: Applicant, certificate_id: int) -> Certificate | None:
    return (
        Certificate.objects.select_related("certificate_type")
        .filter(holder=applicant, pk=certificate_id)
        .first()
    )
