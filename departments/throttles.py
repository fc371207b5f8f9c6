from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from onewindow.client_address import client_address


class CatalogueThrottle(SimpleRateThrottle):
    """The public catalogue API, per client address: anyone may read the guide's data, but
    no one address may copy it in a loop. Signed-in staff and department systems are not
    counted (their access is as before). The address is the trusted one
    (``onewindow.client_address``): a forged ``X-Forwarded-For`` counts as the sender."""

    scope = "catalogue"

    def get_rate(self) -> str:
        return getattr(settings, "CATALOGUE_THROTTLE_RATE", "120/minute")

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}
