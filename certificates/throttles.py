from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from onewindow.client_address import client_address


class CertificateVerifyThrottle(SimpleRateThrottle):
    """Per client address, for the public verification page and API alike. The tokens
    are unguessable (192 random bits), so the limit keeps a page that checks uploaded
    PDFs from being a free CPU rather than guarding a secret. The address is the trusted
    one (``onewindow.client_address``), not DRF's reading of ``X-Forwarded-For``."""

    scope = "certificate_verify"

    def get_rate(self) -> str:
        return getattr(settings, "CERTIFICATE_VERIFY_THROTTLE_RATE", "60/minute")

    def get_ident(self, request) -> str:
        return client_address(request)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
