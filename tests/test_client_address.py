"""The trusted client address (onewindow.client_address): X-Forwarded-For counts only
when it comes from one of our own proxies, and then only what they appended."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from onewindow.client_address import client_address


def request(remote_addr, forwarded=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_by_default_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(request("198.51.100.7", "203.0.113.1")) == "198.51.100.7"


def test_a_direct_client_cannot_choose_its_address_even_with_proxies_configured(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(request("198.51.100.7", "10.0.0.5, 203.0.113.1")) == "198.51.100.7"


def test_behind_our_proxy_the_address_it_appended_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_address(request("127.0.0.1", "203.0.113.1")) == "203.0.113.1"
    # Whatever the client wrote itself, left of that, proves nothing.
    assert client_address(request("127.0.0.1", "1.2.3.4, 5.6.7.8, 203.0.113.1")) == "203.0.113.1"


def test_a_chain_of_our_proxies_is_walked_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    forwarded = "9.9.9.9, 203.0.113.1, 10.1.2.3"
    assert client_address(request("127.0.0.1", forwarded)) == "203.0.113.1"


def test_ipv6_networks_and_mapped_ipv4(settings):
    settings.TRUSTED_PROXIES = ["fd00::/8"]
    assert client_address(request("fd00::1", "2001:db8::5")) == "2001:db8::5"
    assert client_address(request("fd00::1", "::ffff:203.0.113.9")) == "203.0.113.9"


def test_garbage_in_the_header_stops_the_walk_at_our_last_proxy(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_address(request("127.0.0.1", "203.0.113.1, not-an-address")) == "127.0.0.1"
    assert client_address(request("127.0.0.1", "")) == "127.0.0.1"


def test_a_misconfigured_network_is_named(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/33"]
    with pytest.raises(ImproperlyConfigured, match="'10.0.0.0/33'"):
        client_address(request("127.0.0.1", "203.0.113.1"))
