from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    """Electronic certificates: licence identifiers, signed PDFs and SM2-sealed OFDs, seals,
    verification and the library lifecycle. The ``Certificate`` model itself lives in ``cases``."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "certificates"
    verbose_name = _("电子证照")

    def ready(self) -> None:
        """Wiring: the outbox's handler of this app. Rendering and sealing PDFs is slow,
        so its jobs have a queue of their own (workers: ``-Q celery,documents``) and never
        hold up the approvals."""
        from cases.services.jobs import job_handler_register

        from .services.ofd import certificate_ofd_render_and_seal
        from .services.rendering import certificate_render_and_sign

        job_handler_register(
            kind="issue_pdf", function=certificate_render_and_sign, queue="documents"
        )
        job_handler_register(
            kind="issue_ofd", function=certificate_ofd_render_and_seal, queue="documents"
        )
