"""What "open to the world" means for a CIDR: one rule for the config models (which refuse
such settings unless the user says they mean it) and the policy pack (which flags such rules).

A source is world-open when it holds public (globally routable) addresses and is wider than a
/16 (IPv4) or a /48 (IPv6): ``0.0.0.0/0``, ``::/0`` and also ``0.0.0.0/1`` or ``8.0.0.0/8``.
Private, shared, loopback, link-local, documentation, benchmarking, multicast and reserved
blocks are never world-open, whatever their size (``10.0.0.0/8`` is one campus's network).
"""

from __future__ import annotations

import ipaddress

__all__ = ["NON_PUBLIC_NETWORKS", "WIDEST_PUBLIC_PREFIX", "world_open"]

NON_PUBLIC_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::1/128", "fc00::/7", "fe80::/10", "2001:db8::/32",
    )
)  # fmt: skip
"""Address blocks that are not the internet: private, shared, loopback, link-local,
documentation, benchmarking, multicast and reserved space."""
WIDEST_PUBLIC_PREFIX = {4: 16, 6: 48}
"""The widest public source a rule may name: a /16 (IPv4) or a /48 (IPv6), a campus's or a
site's allocation. Anything wider that holds public addresses counts as the whole internet."""


def world_open(cidr: str) -> bool:
    """Whether ``cidr`` opens to the internet at large: it holds public (globally routable)
    addresses and is wider than :data:`WIDEST_PUBLIC_PREFIX`. So ``0.0.0.0/0``, ``::/0`` and
    ``0.0.0.0/1`` are world-open; ``10.0.0.0/8`` (private) and ``203.0.113.7/32`` are not."""
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    if any(net.version == b.version and net.subnet_of(b) for b in NON_PUBLIC_NETWORKS):  # type: ignore[arg-type]
        return False
    return net.prefixlen < WIDEST_PUBLIC_PREFIX[net.version]
