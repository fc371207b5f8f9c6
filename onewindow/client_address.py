"""The client's address, as far as it can be trusted: the key of every per-address limit.

``X-Forwarded-For`` is a header anybody can send. It says who the client is only when
the request came from a reverse proxy of ours, which appends the address it saw; every
entry left of the first address that is not one of our proxies was written by the
client and proves nothing. So the address is read from the right: start at the peer
(``REMOTE_ADDR``); while it is one of the ``TRUSTED_PROXIES`` networks, step to the
header's next entry to the left. The first address that is not a trusted proxy is the
client. With ``TRUSTED_PROXIES`` empty (the default) the header is never read, and the
peer is the client: a direct client cannot choose its own address.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in configured:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def trusted_proxy_networks() -> tuple[Network, ...]:
    configured: Sequence[str] = getattr(settings, "TRUSTED_PROXIES", ())
    return _networks(tuple(configured))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:203.0.113.7) is that IPv4 client.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def client_address(request: HttpRequest) -> str:
    """The address of whoever sent ``request``, read through our own proxies only."""
    peer = request.META.get("REMOTE_ADDR") or ""
    networks = trusted_proxy_networks()
    if not networks:
        return peer
    current = _address(peer)
    if current is None or not any(current in network for network in networks):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed(forwarded.split(",")) if forwarded else ():
        address = _address(entry)
        if address is None:
            # Garbage where a proxy of ours would have written an address: the entries
            # further left cannot be trusted either; the last proxy is all we know.
            return str(current)
        current = address
        if not any(current in network for network in networks):
            return str(current)
    # Every hop is one of our proxies (a health check from inside, say).
    return str(current)
