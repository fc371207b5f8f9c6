"""An SMS gateway over HTTP: one JSON POST per message.

Request: ``POST <endpoint>`` with ``Content-Type: application/json`` and, when a
token is configured, ``Authorization: Bearer <token>``; body
``{"phone": "...", "message": "..."}``. Any 2xx answer means the gateway took it;
a timeout, a refused connection or any other status raises ``SmsUnavailableError``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from .base import SmsUnavailableError


class HttpSmsBackend:
    def __init__(self, *, endpoint: str, timeout: float = 5.0, token: str = "") -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"SMS endpoint must be an http(s) URL, not {endpoint!r}")
        self.endpoint = endpoint
        self.timeout = timeout
        self.token = token

    def send(self, *, phone: str, message: str) -> None:
        body = json.dumps({"phone": phone, "message": message}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as error:
            raise SmsUnavailableError(f"SMS gateway answered HTTP {error.code}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SmsUnavailableError(f"SMS gateway not reachable: {reason}") from error
