"""A shorter way through Django for ``GET /api/v1/track/<no>/`` (public tracking).

The public tracking API is the busiest URL of the site and the cheapest to answer; on
its way through Django, the URL resolver and four middlewares that have nothing to do
for it cost a quarter of its CPU time (README, "Public tracking under load").
``PublicTrackingMiddleware``, listed first in ``MIDDLEWARE``, sends that one request
through **every other middleware of the setting except the four listed in
``NOTHING_TO_DO``** and straight to the view, without resolving the URL:

* the four are skipped because, for this view, each provably does nothing: it reads no
  session, sets no CSRF cookie, needs no user and shows no messages (a public,
  anonymous, read-only GET); a test checks that the answer's headers and body are
  exactly the full path's;
* every other middleware runs as usual, in the setting's order — the security headers
  (``SecurityMiddleware``, ``XFrameOptionsMiddleware``), the language taken from the
  request (``LocaleMiddleware``), ``CommonMiddleware`` — and so does any middleware
  added to the setting later, unless someone adds it to ``NOTHING_TO_DO`` on purpose;
* the route is the URLconf's own (``reverse("api:track")``), read once; everything
  else, other methods included, takes the usual path — and so does every request if
  one of the middlewares kept has a view or exception hook (Django calls those while
  resolving the URL, which this path does not do).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.module_loading import import_string

# Middlewares with nothing to do for an anonymous GET of the tracking API: it never
# touches request.session, request.user, CSRF tokens or messages, so on the full path
# each of them only sets up lazy objects that are never used.
NOTHING_TO_DO = frozenset(
    {
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    }
)

_PLACEHOLDER = "0NUMBER0"


class PublicTrackingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._route: tuple[str, str] | None = None
        me = f"{type(self).__module__}.{type(self).__qualname__}"
        # Built like Django's own chain (BaseHandler.load_middleware), innermost first.
        handler = convert_exception_to_response(_track_view)
        hooks = False
        for path in reversed(settings.MIDDLEWARE):
            if path == me or path in NOTHING_TO_DO:
                continue
            middleware = import_string(path)(handler)
            hooks = hooks or any(
                hasattr(middleware, hook) for hook in ("process_view", "process_exception")
            )
            handler = convert_exception_to_response(middleware)
        # A middleware with view or exception hooks (called by Django's URL-resolving
        # handler, not by the chain): then every request takes the usual path.
        self._track = None if hooks else handler

    def route(self) -> tuple[str, str]:
        """What the tracking API's path starts and ends with (``/api/v1/track/``, ``/``),
        from the URLconf, once (not at start-up: the URLconf may import this module)."""
        if self._route is None:
            path = reverse("api:track", args=[_PLACEHOLDER])
            before, _, after = path.partition(_PLACEHOLDER)
            self._route = (before, after)
        return self._route

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and self._track is not None:
            before, after = self.route()
            path = request.path
            if path.startswith(before) and path.endswith(after):
                number = path[len(before) : len(path) - len(after)]
                if number and "/" not in number:  # the route's <str:tracking_no>
                    request.tracking_no = number  # type: ignore[attr-defined]
                    return self._track(request)
        return self.get_response(request)


def _track_view(request: HttpRequest) -> HttpResponse:
    from .api.views import track

    return track(request, request.tracking_no)  # type: ignore[attr-defined]
