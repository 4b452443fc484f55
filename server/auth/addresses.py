"""Who is on the other end of a request: the peer, or what a trusted proxy says it is."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """Parse "10.0.0.1, 10.1.0.0/16, ::1" into networks; ValueError names a bad entry."""
    networks = []
    for part in text.replace(";", ",").split(","):
        entry = part.strip()
        if entry:
            try:
                networks.append(ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"{entry!r} is not an address or a CIDR network") from None
    return tuple(networks)


def _address(text: str) -> IPv4Address | IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        return ip_address(text)
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address | None, proxies: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in proxies)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], proxies: tuple[Network, ...]
) -> str:
    """Return the client's address: the peer's, unless the peer is a trusted proxy.

    Behind trusted proxies, X-Forwarded-For is read from the right (each proxy appends the
    address it saw) and the first address that is not a trusted proxy is the client: what
    the client itself wrote at the left end is never believed.
    """
    peer_address = _address(peer or "")
    if peer_address is None:
        return peer or "unknown"
    if not _trusted(peer_address, proxies):
        return str(peer_address)
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return str(peer_address)  # a garbled chain: believe only the peer
        if not _trusted(address, proxies):
            return str(address)
    return str(_address(hops[0]) if hops else peer_address)
