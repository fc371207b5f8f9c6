from __future__ import annotations

from cases.exceptions import CaseError


class CertificateError(CaseError):
    """A certificate operation that cannot go ahead; the message says why, in plain words."""


class SealMissingError(CertificateError):
    """The issuing department has no electronic seal (key and certificate) to sign with."""


class PdfRenderingError(CertificateError):
    """The PDF toolchain (WeasyPrint with pango and a CJK font) is not available."""


class RevokeReasonRequiredError(CertificateError):
    pass


class CertificateChangeError(CertificateError):
    """A change asked for something a new version cannot carry."""


class CertificateNotCurrentError(CertificateError):
    """Only the current, valid version of a certificate can be changed or renewed."""
