"""Who is asking: the address quotas and login throttling count, which a client cannot forge.

The connection's own address (REMOTE_ADDR) is the client, unless that connection comes from a
proxy named in `RAPLYRICS_TRUSTED_PROXIES`. Then the proxy has appended the address it saw to
X-Forwarded-For, and with `RAPLYRICS_NUM_PROXIES` trusted proxies in a row the client is that many
entries from the end. Anything the client wrote further left is ignored; `RAPLYRICS_NUM_PROXIES=0`
trusts no header at all.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    parsed = _parse(address)
    if parsed is None:
        return False
    return any(parsed in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request: HttpRequest) -> str:
    """The client's address as a string; never a value the client chose."""
    peer = str(request.META.get("REMOTE_ADDR") or "")
    proxies = int(settings.NUM_PROXIES)
    if proxies == 0 or not is_trusted_proxy(peer):
        return peer
    header = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    entries = [entry.strip() for entry in header.split(",") if entry.strip()]
    if not entries:
        return peer
    # Each trusted proxy appended one entry: the client is `proxies` entries from the end.
    chosen = entries[-min(proxies, len(entries))]
    return str(_parse(chosen) or peer)
