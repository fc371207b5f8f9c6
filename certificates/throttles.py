from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class CertificateVerifyThrottle(SimpleRateThrottle):
    """Per client address, for the public verification page and API alike (tokens are
    unguessable, but a page that checks uploaded PDFs must not be a free CPU)."""

    scope = "certificate_verify"

    def get_rate(self) -> str:
        return getattr(settings, "CERTIFICATE_VERIFY_THROTTLE_RATE", "60/minute")

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
