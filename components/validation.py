"""Readers shared by every settings module: each returns the typed value or raises
:class:`ConfigError` naming the key and what would be valid.

``key`` is always the full config key (``cloudlab:calculator.publicPort``); list items are
named ``key[i]``. The messages are part of the user interface (tests assert on them), so a
module that needs another wording passes it in rather than editing it here.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping
from typing import Any

from components.errors import ConfigError


def object_with_keys(value: Any, key: str, keys: Collection[str]) -> Mapping[str, Any]:
    """``value`` if it is an object whose keys are all among ``keys``.

    ``None`` is not accepted: a caller whose object is optional passes ``{}`` for it.
    """
    if not isinstance(value, Mapping):
        raise ConfigError(key, f"expected an object, got {value!r}", ", ".join(keys))
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}", "unknown setting", ", ".join(keys))
    return value


def non_empty_string(
    value: Any, key: str, pattern: re.Pattern[str] | None = None, valid: str | None = None
) -> str:
    """``value`` stripped, if it is a non-blank string (matching ``pattern``, when given)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, f"expected a non-empty string, got {value!r}", valid or None)
    value = value.strip()
    if pattern is not None and not pattern.match(value):
        raise ConfigError(key, f"{value!r} is not valid", valid or None)
    return value


def _digits(value: Any) -> bool:
    """Whether ``value`` is text of ASCII digits only (``"²".isdigit()`` is true too)."""
    return isinstance(value, str) and value.strip().isascii() and value.strip().isdigit()


def int_in_range(
    value: Any, key: str, low: int, high: int, what: str, *, accept_text: bool = True
) -> int:
    """``value`` if it is a whole number from ``low`` to ``high``; ``what`` names it.

    With ``accept_text`` a string of digits counts as its number (``pulumi config set
    --path`` writes text); without it only a real integer does. Booleans never do.
    """
    if accept_text and _digits(value):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(key, f"expected {what}, got {value!r}", f"{low}-{high}")
    return value


def port(value: Any, key: str) -> int:
    """A TCP port number, 1-65535; a string of digits counts as its number."""
    if isinstance(value, bool) or not isinstance(value, int):
        if _digits(value):
            value = int(value.strip())
        else:
            raise ConfigError(key, f"expected a TCP port number, got {value!r}", "1-65535")
    if not 1 <= value <= 65535:
        raise ConfigError(key, f"port {value} is out of range", "1-65535")
    return value


def ipv4_address(value: Any, key: str, valid: str) -> ipaddress.IPv4Address:
    """An IPv4 address such as ``127.0.0.1``; ``valid`` says which addresses make sense."""
    try:
        return ipaddress.IPv4Address(value)
    except (ValueError, TypeError):
        raise ConfigError(key, f"{value!r} is not an IPv4 address", valid) from None


def ipv4_network(value: Any, key: str, example: str = "10.0.0.0/24") -> ipaddress.IPv4Network:
    """An IPv4 network in CIDR notation, without host bits (``10.0.0.0/24``, not ``/24``
    of ``10.0.0.5``). ``example`` is the CIDR the hints show for a malformed or IPv6 value.
    """
    if not isinstance(value, str):
        raise ConfigError(key, f"expected an IPv4 CIDR string, got {value!r}", "e.g. 10.0.0.0/24")
    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ConfigError(key, f"{value!r} is not an IPv4 CIDR", f"e.g. {example}") from None
    if net.version != 4:
        raise ConfigError(key, f"{value!r} is not IPv4", f"an IPv4 CIDR such as {example}")
    if str(net) != value.strip():
        raise ConfigError(key, f"{value!r} has host bits set", f"the network address {net}")
    return net


def cidr_list(
    value: Any, key: str, example: str = "10.0.0.0/24", *, unique: bool = False
) -> tuple[str, ...]:
    """A list of IPv4 CIDRs (a single string counts as a list of one), normalised.

    Each item is read by :func:`ipv4_network` with ``example``; with ``unique`` a CIDR
    listed twice is an error.
    """
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ConfigError(key, f"expected a list of CIDRs, got {value!r}")
    cidrs: list[str] = []
    for i, item in enumerate(value):
        cidr = str(ipv4_network(item, f"{key}[{i}]", example))
        if unique and cidr in cidrs:
            raise ConfigError(f"{key}[{i}]", f"{cidr} is listed twice", "each CIDR once")
        cidrs.append(cidr)
    return tuple(cidrs)
