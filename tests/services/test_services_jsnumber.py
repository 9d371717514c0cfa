"""services.jsnumber: numbers printed and read the way the Node.js services did."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.jsnumber import format_number, parse_number

# Expected strings are what node prints for String(x) (checked against node).
JS_STRINGS = [
    (11.0, "11"),
    (-1.0, "-1"),
    (30.0, "30"),
    (5 / 6, "0.8333333333333334"),
    (22.0, "22"),
    (0.1 + 0.2, "0.30000000000000004"),
    (0.5, "0.5"),
    (-0.5, "-0.5"),
    (1 / 3, "0.3333333333333333"),
    (2 / 3, "0.6666666666666666"),
    (100.0, "100"),
    (123.456, "123.456"),
    (4.35, "4.35"),
    (1e20, "100000000000000000000"),
    (123456789012345680000.0, "123456789012345680000"),
    (999999999999999868928.0, "999999999999999900000"),
    (1e21, "1e+21"),
    (-1e21, "-1e+21"),
    (1.5e21, "1.5e+21"),
    (1e22, "1e+22"),
    (2.0**53, "9007199254740992"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (1e-6, "0.000001"),
    (1.5e-6, "0.0000015"),
    (0.000123, "0.000123"),
    (1.23e-5, "0.0000123"),
    (1e-7, "1e-7"),
    (1.5e-7, "1.5e-7"),
    (9.5e-7, "9.5e-7"),
    (0.00000099, "9.9e-7"),
    (-1.2345e-10, "-1.2345e-10"),
    (5e-324, "5e-324"),
    (0.0, "0"),
    (-0.0, "0"),
    (math.inf, "Infinity"),
    (-math.inf, "-Infinity"),
    (math.nan, "NaN"),
]


@pytest.mark.parametrize(("value", "expected"), JS_STRINGS, ids=[s for _, s in JS_STRINGS])
def test_format_number_matches_javascript(value: float, expected: str) -> None:
    assert format_number(value) == expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("5", 5.0),
        ("-5", -5.0),
        ("+5", 5.0),
        ("5.", 5.0),
        (".5", 0.5),
        ("-.5", -0.5),
        ("2.5e-3", 0.0025),
        ("1E21", 1e21),
        ("1e+21", 1e21),
        ("007", 7.0),
        ("1e999", math.inf),
        ("-1e999", -math.inf),
        ("Infinity", math.inf),
        ("+Infinity", math.inf),
        ("-Infinity", -math.inf),
    ],
)
def test_parse_number_accepts_decimal_literals(token: str, expected: float) -> None:
    assert parse_number(token) == expected


def test_parse_number_reads_nan() -> None:
    assert math.isnan(parse_number("NaN"))


@pytest.mark.parametrize(
    "token",
    [
        "",
        " 5",
        "5 ",
        "abc",
        "5abc",
        "nan",
        "inf",
        "-inf",
        "infinity",
        "INFINITY",
        "0x10",
        "1_000",
        "1e",
        "e5",
        ".",
        "-",
        "+-5",
        "5..",
        "1,5",
        "\u0661",  # ARABIC-INDIC DIGIT ONE: Python's float() takes it, we do not
        "５",  # FULLWIDTH DIGIT FIVE  # noqa: RUF001
    ],
)
def test_parse_number_rejects_garbage(token: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        parse_number(token)


JS_SHAPE = re.compile(
    r"-?(?:[1-9][0-9]*|0)(?:\.[0-9]*[1-9])?"  # 11, 0.5, 123456789012345680000
    r"|-?[1-9](?:\.[0-9]*[1-9])?e[+-][1-9][0-9]*"  # 1e+21, 1.5e-7
)


@settings(max_examples=500, database=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_round_trips_in_the_javascript_shape(x: float) -> None:
    text = format_number(x)
    assert JS_SHAPE.fullmatch(text), text
    assert parse_number(text) == x  # -0 reads back as 0, which compares equal
    assert float(text) == x
    # exponent form exactly outside [1e-6, 1e21), as ECMAScript Number::toString says
    assert ("e" in text) == (x != 0 and not 1e-6 <= abs(x) < 1e21)
    # shortest: no digit can be dropped
    mantissa = text.split("e")[0].lstrip("-").replace(".", "").strip("0")
    assert len(mantissa) <= 17
    assert len(mantissa) == len(repr(abs(x)).split("e")[0].replace(".", "").strip("0"))
