"""Issued certificates, view-only: issuance and revocation go through the services."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases.admin.base import ViewOnlyAdmin, applicant_label
from cases.admin.cases import CaseEventInline

from .models import Certificate


@admin.register(Certificate)
class CertificateAdmin(ViewOnlyAdmin):
    centre_lookup = "case__centre"
    department_lookup = "issuing_department"
    list_display = (
        "number",
        "certificate_type",
        "holder_display",
        "issuing_department",
        "status",
        "version",
        "valid_from",
        "valid_until",
        "issued_at",
    )
    list_filter = ("status", "holder_kind", "certificate_type", "issuing_department")
    list_select_related = ("certificate_type", "holder", "issuing_department")
    search_fields = ("=number", "=licence_id", "=holder__id_number")
    date_hierarchy = "issued_at"
    ordering = ("-issued_at", "-id")
    inlines = (CaseEventInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "number",
                    "licence_id",
                    "certificate_type",
                    "holder",
                    "holder_kind",
                    "issuing_department",
                    "data",
                )
            },
        ),
        (_("状态"), {"fields": ("status", "version", "supersedes", "revoked_at", "revoke_reason")}),
        (_("有效期"), {"fields": ("issued_at", "valid_from", "valid_until")}),
        (_("来源"), {"fields": ("approval", "case")}),
        (
            _("文件与核验"),
            {
                "fields": (
                    "pdf",
                    "pdf_sha256",
                    "pdf_signed_at",
                    "seal_fingerprint",
                    "verification_token",
                    "created_at",
                )
            },
        ),
    )

    @admin.display(description=_("持证主体"), ordering="holder__name")
    def holder_display(self, certificate: Certificate) -> str:
        return applicant_label(certificate.holder)
