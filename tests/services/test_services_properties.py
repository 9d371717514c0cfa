"""Property tests over real HTTP: any body gets a correct answer or a 400 (and the server lives
on); random expression trees come back from the calculator equal to a Python reference."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.operand import OPERAND_SERVICES, USAGE
from tests.services.svc_support import request

# --- operand services -------------------------------------------------------------------------

# Written independently of services.jsnumber: what the services document they accept.
DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
WORDS = {"Infinity", "+Infinity", "-Infinity", "NaN"}


def reference_divide(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:
            return math.nan
        negative = (a < 0) != (math.copysign(1, b) < 0)
        return -math.inf if negative else math.inf


REFERENCE: dict[str, Callable[[float, float], float]] = {
    "sum": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": reference_divide,
}


def expected_result(service: str, body: str) -> float | None:
    """The number the service must answer, or None if it must answer 400."""
    if body.endswith("\r\n"):
        body = body[:-2]
    elif body.endswith("\n"):
        body = body[:-1]
    fields = body.split(" ")
    if len(fields) != 2 or not all(f in WORDS or DECIMAL.fullmatch(f) for f in fields):
        return None
    return REFERENCE[service](float(fields[0]), float(fields[1]))


def same_number(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or x == y


token = st.one_of(
    st.floats(allow_nan=False).map(repr),
    st.integers(-(10**25), 10**25).map(str),
    st.floats(-1e6, 1e6).map(lambda x: f"{x:.3f}"),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda x: f"{x:E}"),
    st.sampled_from(["Infinity", "-Infinity", "+Infinity", "NaN", "nan", "inf", "abc", ""]),
    st.sampled_from([".", "-", "+", "1e", "e1", ".e1", "5.", ".5", "+.5e-3", "0x1f", "1_0"]),
    st.text(alphabet="0123456789.eE+- ", max_size=6),
)
structured_body = st.builds(
    lambda a, sep, b, end: a + sep + b + end,
    token,
    st.sampled_from([" ", " ", " ", "  ", "\t", "", ","]),
    token,
    st.sampled_from(["", "", "", "\n", "\r\n", " ", "\n\n", "\r"]),
)


@settings(max_examples=150, deadline=None, database=None)
@given(
    service=st.sampled_from(OPERAND_SERVICES),
    body=st.one_of(structured_body, structured_body, st.text(max_size=30), token),
)
def test_any_body_gets_a_correct_number_or_a_400(
    operand_urls: dict[str, str], service: str, body: str
) -> None:
    response = request(operand_urls[service], body)
    expected = expected_result(service, body)
    assert response.text.endswith("\r\n")
    if expected is None:
        assert response.status == 400, (body, response.text)
        assert USAGE in response.text
    else:
        assert response.status == 200, (body, response.text)
        assert same_number(float(response.text), expected), (body, response.text, expected)
    assert request(operand_urls["sum"], "5 6").body == b"11\r\n"


@settings(max_examples=50, deadline=None, database=None)
@given(body=st.binary(max_size=30))
def test_any_bytes_get_an_answer_and_the_server_lives_on(sum_url: str, body: bytes) -> None:
    response = request(sum_url, body)
    assert response.status in (200, 400)
    assert response.body.endswith(b"\r\n")
    assert request(sum_url, "5 6").body == b"11\r\n"


# --- calculator --------------------------------------------------------------------------------

Tree = Any  # ("num", value) | ("neg", tree) | ("bin", op, left, right, parenthesised)
PREC = {"+": 1, "-": 1, "*": 2, "/": 2}
PYTHON_OPS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": reference_divide,
}

leaves = st.one_of(
    st.integers(0, 20).map(float),
    st.integers(0, 2000).map(lambda n: n / 100),
).map(lambda v: ("num", v))
trees = st.recursive(
    leaves,
    lambda sub: st.one_of(
        st.tuples(st.just("neg"), sub),
        st.tuples(st.just("bin"), st.sampled_from("+-*/"), sub, sub, st.booleans()),
    ),
    max_leaves=8,
)


def render(tree: Tree) -> tuple[str, int]:
    """Infix text with only the parentheses precedence and left associativity require
    (plus the redundant ones the tree asks for); returns (text, precedence)."""
    if tree[0] == "num":
        value = tree[1]
        return (str(int(value)) if value.is_integer() else repr(value)), 3
    if tree[0] == "neg":
        text, prec = render(tree[1])
        return "-" + (text if prec == 3 else f"({text})"), 3
    _, op, left, right, parenthesised = tree
    ltext, lprec = render(left)
    rtext, rprec = render(right)
    if lprec < PREC[op]:
        ltext = f"({ltext})"
    if rprec <= PREC[op]:
        rtext = f"({rtext})"
    text = f"{ltext} {op} {rtext}"
    return (f"({text})", 3) if parenthesised else (text, PREC[op])


def reference(tree: Tree) -> float:
    """Evaluate in Python. Operands cross the wire as JS text, where -0 prints as 0."""
    if tree[0] == "num":
        return tree[1]
    if tree[0] == "neg":
        return -reference(tree[1])
    _, op, left, right, _ = tree
    a, b = reference(left) + 0.0, reference(right) + 0.0  # -0.0 + 0.0 == +0.0
    return PYTHON_OPS[op](a, b)


@settings(max_examples=75, deadline=None, database=None)
@given(tree=trees)
def test_random_expressions_match_a_python_reference(calculator_url: str, tree: Tree) -> None:
    text, _ = render(tree)
    response = request(calculator_url, text)
    assert response.status == 200, (text, response.text)
    prefix, _, number = response.text.removesuffix("\r\n").partition("result = ")
    assert prefix == ""
    assert same_number(float(number), reference(tree)), (text, response.text)
