"""The WSGI application hands a complete body over as one list item, closed; streams as they are."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import FileResponse, StreamingHttpResponse
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
def test_a_complete_response_is_one_list_item_and_is_closed_before_it_is_sent(finished):
    environ = RequestFactory().get("/track/", HTTP_ACCEPT_LANGUAGE="zh-hans").environ
    start_response = StartResponse()
    body = wsgi.application(environ, start_response)
    assert isinstance(body, list) and len(body) == 1
    assert "办件进度查询".encode() in body[0]
    [(status, headers)] = start_response.calls
    assert status.startswith("200")
    assert ("Content-Length", str(len(body[0]))) in headers
    assert len(finished) == 1  # Django's request_finished ran, once


@pytest.mark.django_db
def test_an_error_answer_is_handed_over_the_same_way(finished):
    environ = RequestFactory().get("/api/v1/track/2611010000000A/?id_suffix=1234").environ
    start_response = StartResponse()
    body = wsgi.application(environ, start_response)
    assert start_response.calls[0][0].startswith("404")
    assert isinstance(body, list) and b"detail" in body[0]
    assert len(finished) == 1


@pytest.mark.parametrize(
    "response",
    [
        lambda: StreamingHttpResponse(iter([b"a", b"b"])),
        lambda: FileResponse(iter([b"%PDF"]), content_type="application/pdf"),
    ],
    ids=["streaming", "file"],
)
def test_a_stream_goes_to_the_server_unread_and_open(monkeypatch, finished, response):
    streamed = response()
    monkeypatch.setattr(wsgi, "django_application", lambda environ, start_response: streamed)
    assert wsgi.application({}, StartResponse()) is streamed
    assert finished == []  # the server closes it once it has sent it
    assert b"".join(streamed) in (b"ab", b"%PDF")
