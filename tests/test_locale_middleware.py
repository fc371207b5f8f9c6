"""onewindow.middleware.LocaleMiddleware answers exactly as Django's LocaleMiddleware."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangosLocaleMiddleware
from django.test import RequestFactory
from django.utils import translation

from onewindow.middleware import LocaleMiddleware

REQUESTS = [
    ("/api/v1/track/2611010000000A/", {}),
    ("/track/", {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}),
    ("/track/", {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}),
    ("/me/", {"HTTP_COOKIE": f"{settings.LANGUAGE_COOKIE_NAME}=en"}),
    ("/en/track/", {}),  # looks like a prefix; our URLconf has none
    ("/api/v1/track/x/", {"HTTP_ACCEPT_LANGUAGE": "fr"}),  # not offered: the default
]


def _answer(middleware_class, path, headers, *, urlconf=None, status=200):
    request = RequestFactory().get(path, **headers)
    if urlconf:
        request.urlconf = urlconf
    middleware = middleware_class(lambda request: HttpResponse(status=status))
    with translation.override(None):
        response = middleware(request)
        return request.LANGUAGE_CODE, dict(response.headers), response.status_code


@pytest.mark.parametrize(("path", "headers"), REQUESTS)
@pytest.mark.parametrize("status", [200, 404])
def test_same_language_and_headers_as_djangos(path, headers, status):
    ours = _answer(LocaleMiddleware, path, headers, status=status)
    assert ours == _answer(DjangosLocaleMiddleware, path, headers, status=status)
    assert ours[1]["Vary"] == "Accept-Language"


def test_english_from_the_header_and_chinese_by_default():
    assert _answer(LocaleMiddleware, *REQUESTS[1])[0] == "en"
    assert _answer(LocaleMiddleware, *REQUESTS[0])[0] == settings.LANGUAGE_CODE


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/en/hello/", {}, 200),
        ("/hello/", {"HTTP_ACCEPT_LANGUAGE": "en"}, 404),  # Django redirects to /en/hello/
        ("/zh-hans/hello/", {"HTTP_ACCEPT_LANGUAGE": "en"}, 200),
    ],
)
def test_under_i18n_patterns_it_is_djangos(path, headers, status):
    urlconf = "tests.i18n_prefixed_urls"
    ours = _answer(LocaleMiddleware, path, headers, urlconf=urlconf, status=status)
    assert ours == _answer(DjangosLocaleMiddleware, path, headers, urlconf=urlconf, status=status)
    if status == 404:
        assert ours[2] == 302 and ours[1]["Location"] == "/en/hello/"
