"""The certificate's OFD document. The ``Certificate`` row and its PDF live in ``cases``;
the OFD is a file of this app, one per certificate, stored like the PDF."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OfdDocument(models.Model):
    """The sealed OFD (GB/T 33190 with a GB/T 38540-style SM2 seal) of one certificate."""

    certificate = models.OneToOneField(
        "cases.Certificate",
        verbose_name=_("电子证照"),
        on_delete=models.CASCADE,
        related_name="ofd_document",
    )
    file = models.FileField(_("OFD文件"), upload_to="certificates/ofd/")
    sha256 = models.CharField(_("OFD文件SHA-256"), max_length=64)
    sm3 = models.CharField(_("OFD文件SM3摘要"), max_length=64)
    seal_id = models.CharField(_("电子印章编码"), max_length=80)
    signed_at = models.DateTimeField(_("签章时间"))

    class Meta:
        verbose_name = _("OFD电子证照文件")
        verbose_name_plural = _("OFD电子证照文件")

    def __str__(self) -> str:
        return self.file.name
