from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    """Electronic certificates: licence identifiers, signed PDFs and SM2-sealed OFDs, seals,
    verification and the library lifecycle, over the certificate library's own tables."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "certificates"
    verbose_name = _("电子证照")

    def ready(self) -> None:
        """Wiring: a granted approval issues its certificate in the granting transaction,
        and the outbox's handlers of this app render and seal the documents. Rendering and
        sealing is slow, so those jobs have a queue of their own (workers:
        ``-Q celery,documents``) and never hold up the approvals."""
        from cases.services.jobs import job_handler_register
        from cases.services.review import approval_granted_handler_register

        from .services.issuance import certificate_create_for_approval
        from .services.ofd import certificate_ofd_render_and_seal
        from .services.rendering import certificate_render_and_sign

        approval_granted_handler_register(certificate_create_for_approval)

        job_handler_register(
            kind="issue_pdf", function=certificate_render_and_sign, queue="documents"
        )
        job_handler_register(
            kind="issue_ofd", function=certificate_ofd_render_and_seal, queue="documents"
        )
