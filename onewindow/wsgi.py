"""The WSGI application.

Django hands the server its ``HttpResponse`` as the iterable, and a server may take
that as a stream: granian, for one, sends any iterable but a list through its
``response_iter`` path, chunk by chunk, and py-spy found a third of a granian worker's
GIL-holding samples inside that call when serving the public tracking API. A response
whose body is already complete is given to the server as a one-item list instead
(granian's ``response_bytes``: one call; 5% more answers per second, README). Such a response is closed here, before the server sends
it — the WSGI contract (``close()`` once the server is done with the iterable) is kept
by doing it as the list is handed over, and Django's ``request_finished`` runs then.
Streaming and file responses go to the server as they are.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.prod")

django_application = get_wsgi_application()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    response = django_application(environ, start_response)
    if getattr(response, "streaming", True):  # StreamingHttpResponse, FileResponse
        return response
    body = [response.content]
    response.close()
    return body
