"""The certificate library (电子证照库): the ``Certificate`` rows, each with its signed
PDF, and the sealed OFD document of each (``OfdDocument``).

A certificate is issued from an approval of a case (``certificates.services.issuance``),
so this app sits above ``cases``: it knows cases, approvals and applicants; ``cases``
knows certificates only through the reverse relations Django puts on its models
(``case.certificates``, ``applicant.certificates``, ``approval.certificate``) and the
lazy model reference ``"certificates.Certificate"`` of its foreign keys — never by an
import (the import contract in ``pyproject.toml`` says so).
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from cases import permissions
from cases.constants import CertificateStatus, HolderKind
from cases.models import Applicant, Approval, Case
from departments.models import CertificateType, Department


def new_verification_token() -> str:
    return secrets.token_urlsafe(24)


class Certificate(ConcurrentTransitionMixin, models.Model):
    """An electronic certificate (电子证照). The certificate library is this table."""

    number = models.CharField(_("证照编号"), max_length=60, unique=True)
    licence_id = models.CharField(
        _("电子证照标识"),
        max_length=120,
        unique=True,
        null=True,
        blank=True,
        help_text=_("GB/T 36904 标识。"),
    )
    certificate_type = models.ForeignKey(
        CertificateType,
        verbose_name=_("证照类型"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    holder = models.ForeignKey(
        Applicant, verbose_name=_("持证主体"), on_delete=models.PROTECT, related_name="certificates"
    )
    holder_kind = models.CharField(_("持证主体类别"), max_length=20, choices=HolderKind.choices)
    issuing_department = models.ForeignKey(
        Department,
        verbose_name=_("颁发部门"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    # One approval issues at most one certificate (the first version): backs "never issued twice".
    approval = models.OneToOneField(
        Approval,
        verbose_name=_("审批"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificate",
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("办件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
    )
    status = FSMField(
        _("状态"),
        max_length=20,
        choices=CertificateStatus.choices,
        default=CertificateStatus.VALID,
        protected=True,
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("替代的旧版本"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    issued_at = models.DateTimeField(_("颁发时间"), default=timezone.now)
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("注销原因"), max_length=300, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="certificates/", blank=True)
    pdf_sha256 = models.CharField(_("PDF摘要"), max_length=64, blank=True)
    pdf_signed_at = models.DateTimeField(_("签章时间"), null=True, blank=True)
    seal_fingerprint = models.CharField(
        _("电子印章证书指纹"),
        max_length=64,
        blank=True,
        help_text=_("签名所用印章证书的 SHA-256，用于核验上传的文件是否由颁发部门签章。"),
    )
    verification_token = models.CharField(
        _("核验码"), max_length=64, unique=True, default=new_verification_token
    )
    data = models.JSONField(_("证照信息"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="certificate_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="certificate_version_positive"
            ),
        ]
        indexes = [
            models.Index(
                fields=["holder", "certificate_type", "status"], name="certificate_holder_type"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.certificate_type.name}"

    @transition(
        field=status,
        source=CertificateStatus.VALID,
        target=CertificateStatus.REVOKED,
        permission=permissions.is_reviewer_of_certificate,
    )
    def revoke(self, *, reason: str) -> None:
        self.revoked_at = timezone.now()
        self.revoke_reason = reason

    @transition(
        field=status,
        source=CertificateStatus.VALID,
        target=CertificateStatus.EXPIRED,
        permission=permissions.is_administrator,
    )
    def expire(self) -> None:
        pass

    @transition(
        field=status,
        source=CertificateStatus.VALID,
        target=CertificateStatus.SUPERSEDED,
        permission=permissions.is_reviewer_of_certificate,
    )
    def supersede(self) -> None:
        """A change or renewal issued a newer version; the old QR code points to it."""


class OfdDocument(models.Model):
    """The sealed OFD (GB/T 33190 with a GB/T 38540-style SM2 seal) of one certificate."""

    certificate = models.OneToOneField(
        Certificate,
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
