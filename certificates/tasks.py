"""Celery tasks of the certificates: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from onewindow.celery import OutageRetryingTask


@shared_task(
    name="certificates.issue_pdf",
    base=OutageRetryingTask,
    acks_late=True,
    reject_on_worker_lost=True,
)
def issue_pdf(certificate_id: int) -> str:
    """Render and seal the certificate's PDF. Safe to run twice: the second run finds the
    signed PDF and changes nothing."""
    from .services.rendering import certificate_render_and_sign

    return certificate_render_and_sign(certificate_id=certificate_id).pdf_sha256


@shared_task(
    name="certificates.expire_due",
    base=OutageRetryingTask,
    acks_late=True,
    reject_on_worker_lost=True,
)
def expire_due() -> int:
    """Daily: certificates past their last valid day become expired (wired into beat by
    the lead)."""
    from .services.lifecycle import certificates_expire_due

    return certificates_expire_due()
