"""Django's LocaleMiddleware, without looking for a language in the path where no URL has one."""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.http import HttpRequest, HttpResponse
from django.middleware import locale
from django.utils import translation
from django.utils.cache import patch_vary_headers


class LocaleMiddleware(locale.LocaleMiddleware):
    """The language from the cookie or ``Accept-Language``, as Django's middleware picks it.

    Django's looks for a language prefix in every request's path twice (request and
    response), although the prefix only counts under ``i18n_patterns``, which our
    URLconf does not use; a path such as ``/api/...`` fails that lookup with an
    exception each time (about 5% of the web server's time for the public tracking
    API). Without ``i18n_patterns`` this does exactly what Django's does with the prefix
    lookups left out; with them (a URLconf that uses them), it is Django's.
    """

    def process_request(self, request: HttpRequest) -> None:
        if _prefixed(request):
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request, check_path=False))
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if _prefixed(request):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _prefixed(request: HttpRequest) -> bool:
    """Whether the request's URLconf has language-prefixed patterns (cached by Django)."""
    return is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]
