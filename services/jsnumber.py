"""Numbers on the wire, the way the original Node.js services wrote and read them.

``format_number`` is ECMAScript's ``Number::toString`` (radix 10): the shortest digits that
round-trip (Python's ``repr`` computes the same digits), laid out with JavaScript's rules:
plain decimal when ``1e-6 <= |x| < 1e21``, exponent form (``1e+21``, ``1.5e-7``) otherwise,
``-0`` prints ``0``, and the specials print ``Infinity``, ``-Infinity`` and ``NaN``.

``parse_number`` is deliberately stricter than JavaScript's ``parseFloat`` (which reads
``"5abc"`` as 5 and ``"0x10"`` as 0): a token must be a whole decimal literal, optionally
signed, with optional fraction and exponent (``5``, ``-5``, ``+5``, ``5.``, ``.5``,
``2.5e-3``, ``1E21``). The only words accepted are the three JavaScript itself prints,
spelled exactly so (``Infinity``, ``-Infinity``/``+Infinity``, ``NaN``), so that everything
``format_number`` produces reads back; ``inf``, ``nan``, ``infinity``, hex, underscores and
surrounding whitespace are rejected.
"""

from __future__ import annotations

import math
import re

__all__ = ["NUMBER_PATTERN", "format_number", "parse_number"]

#: A decimal literal as accepted by :func:`parse_number` (without the special words).
NUMBER_PATTERN = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"

_NUMBER_RE = re.compile(NUMBER_PATTERN)
_SPECIALS = {
    "Infinity": math.inf,
    "+Infinity": math.inf,
    "-Infinity": -math.inf,
    "NaN": math.nan,
}


def _digits_and_exponent(x: float) -> tuple[str, int]:
    """Split a finite positive float into shortest digits ``s`` and ``n`` with
    ``x == 0.s * 10**n`` (ECMAScript's ``s`` and ``n``; ``k == len(s)``)."""
    text = repr(x)
    mantissa, _, exp = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    n = len(whole) + (int(exp) if exp else 0)
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    return stripped.rstrip("0"), n


def format_number(x: float) -> str:
    """Format ``x`` exactly as JavaScript's ``String(x)`` does."""
    if math.isnan(x):
        return "NaN"
    if x == 0:
        return "0"  # also -0
    if x < 0:
        return "-" + format_number(-x)
    if math.isinf(x):
        return "Infinity"
    s, n = _digits_and_exponent(x)
    k = len(s)
    if k <= n <= 21:
        return s + "0" * (n - k)
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + s
    e = n - 1
    sign = "+" if e >= 0 else "-"
    mantissa = s if k == 1 else s[0] + "." + s[1:]
    return f"{mantissa}e{sign}{abs(e)}"


def parse_number(token: str) -> float:
    """Parse one operand token; raise ``ValueError`` unless it is a number as described
    in the module docstring. Literals too large for a double become +/-Infinity, as in JS."""
    special = _SPECIALS.get(token)
    if special is not None:
        return special
    if not _NUMBER_RE.fullmatch(token):
        raise ValueError(f"not a number: {token!r}")
    return float(token)
