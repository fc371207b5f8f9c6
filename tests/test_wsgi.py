"""The WSGI application (Django's own): it answers, and the request ends when the server closes the answer."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from onewindow import wsgi


class StartResponse:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []

    def __call__(self, status, headers, exc_info=None):
        self.calls.append((status, headers))


@pytest.fixture
def finished():
    """The request_finished signals sent; the test database stays open through them (as
    Django's test client does, close_old_connections is taken off the signals meanwhile)."""
    calls = []

    def receiver(**kwargs):
        calls.append(kwargs)

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    request_finished.connect(receiver)
    yield calls
    request_finished.disconnect(receiver)
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.django_db
def test_a_page_is_answered_and_the_request_ends_when_the_server_closes_it(finished):
    environ = RequestFactory().get("/track/", HTTP_ACCEPT_LANGUAGE="zh-hans").environ
    start_response = StartResponse()
    response = wsgi.application(environ, start_response)
    [(status, headers)] = start_response.calls
    assert status.startswith("200")
    body = b"".join(response)
    assert "办件进度查询".encode() in body
    assert ("Content-Length", str(len(body))) in headers
    assert finished == []  # not before the server is done with it (the WSGI contract)
    response.close()
    assert len(finished) == 1  # Django's request_finished ran, once


@pytest.mark.django_db
def test_an_error_answer_is_handed_over_the_same_way(finished):
    environ = RequestFactory().get("/api/v1/track/2611010000000A/?id_suffix=1234").environ
    start_response = StartResponse()
    response = wsgi.application(environ, start_response)
    assert start_response.calls[0][0].startswith("404")
    assert b"detail" in b"".join(response)
    response.close()
    assert len(finished) == 1
