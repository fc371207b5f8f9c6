from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    """Electronic certificates: licence identifiers, signed PDFs, seals, verification
    and the library lifecycle. The ``Certificate`` model itself lives in ``cases``."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "certificates"
    verbose_name = _("电子证照")
