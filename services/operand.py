"""The four operand services: ``sum``, ``sub``, ``mul`` and ``div``.

Each takes a body of two numbers separated by ONE space (``"5 6"``), as the original Node.js
services did with ``body.split(" ")``, and replies the result printed the JavaScript way
(``11``, ``0.8333333333333334``, ``Infinity``). One trailing line ending (``\\n`` or
``\\r\\n``, as ``echo ... | curl --data-binary @-`` sends) is tolerated; anything else
that is not exactly two numbers is a 400 saying what is expected. See
:mod:`services.jsnumber` for which number spellings are accepted.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from services.httpd import App, Reply
from services.jsnumber import format_number, parse_number

__all__ = [
    "DEFAULT_PORTS",
    "OPERAND_SERVICES",
    "OPERATIONS",
    "USAGE",
    "js_divide",
    "operand_app",
    "parse_operands",
]

#: Default ports, as in the labs.
DEFAULT_PORTS = {"sum": 50001, "sub": 50002, "mul": 50003, "div": 50004, "calculator": 50005}

USAGE = 'expected two numbers separated by one space, e.g. "5 6"'


def js_divide(a: float, b: float) -> float:
    """``a / b`` with JavaScript (IEEE 754) semantics: x/0 is +/-Infinity, 0/0 is NaN."""
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(1.0, a) * math.copysign(1.0, b) * math.inf
    return a / b


#: The operation each operand service performs.
OPERATIONS: dict[str, Callable[[float, float], float]] = {
    "sum": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": js_divide,
}
OPERAND_SERVICES = tuple(OPERATIONS)


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def parse_operands(body: str) -> tuple[float, float]:
    """Read ``"a b"``; raise ``ValueError`` with a message for the client otherwise."""
    if body.endswith("\r\n"):
        body = body[:-2]
    elif body.endswith("\n"):
        body = body[:-1]
    if not body:
        raise ValueError(f"empty body: {USAGE}")
    fields = body.split(" ")
    if len(fields) != 2:
        raise ValueError(f"{USAGE}; got {len(fields)} fields in {_show(body)}")
    numbers = []
    for field in fields:
        try:
            numbers.append(parse_number(field))
        except ValueError:
            raise ValueError(f"{USAGE}; {_show(field)} is not a number") from None
    return numbers[0], numbers[1]


def operand_app(service: str) -> App:
    """The request handler of one operand service (``sum``, ``sub``, ``mul`` or ``div``)."""
    try:
        operation = OPERATIONS[service]
    except KeyError:
        raise ValueError(f"unknown operand service {service!r}") from None

    def app(body: str) -> Reply:
        try:
            a, b = parse_operands(body)
        except ValueError as exc:
            return Reply(400, str(exc))
        return Reply(200, format_number(operation(a, b)))

    return app
