"""The sum/sub/mul/div services over real HTTP: the transcripts of docs/labs/calculator.md, JS
numbers, bad bodies."""

from __future__ import annotations

import pytest

from services.operand import USAGE, js_divide, parse_operands
from tests.services.svc_support import request


@pytest.mark.parametrize(
    ("service", "reply"),
    [
        ("sum", b"11\r\n"),
        ("sub", b"-1\r\n"),
        ("mul", b"30\r\n"),
        ("div", b"0.8333333333333334\r\n"),
    ],
)
def test_labs_transcripts_byte_for_byte(
    operand_urls: dict[str, str], service: str, reply: bytes
) -> None:
    response = request(operand_urls[service], b"5 6")
    assert response.status == 200
    assert response.body == reply
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Content-Length"] == str(len(reply))


@pytest.mark.parametrize(
    ("service", "body", "reply"),
    [
        ("sum", "0.1 0.2", "0.30000000000000004"),
        ("sum", "-2.5 -2.5", "-5"),
        ("sum", "+5 .5", "5.5"),
        ("sum", "2E3 1e-3", "2000.001"),
        ("sum", "1e21 1", "1e+21"),
        ("sum", "99999999999999999999 1", "100000000000000000000"),
        ("sum", "5 6\n", "11"),
        ("sum", "5 6\r\n", "11"),
        ("sum", "Infinity 1", "Infinity"),
        ("sum", "Infinity -Infinity", "NaN"),
        ("sub", "5 5", "0"),
        ("sub", "0.3 0.1", "0.19999999999999998"),
        ("sub", "-0 0", "0"),
        ("mul", "0.0000001 1", "1e-7"),
        ("mul", "0.000001 1", "0.000001"),
        ("mul", "1e200 1e200", "Infinity"),
        ("mul", "-1e200 1e200", "-Infinity"),
        ("mul", "-0 5", "0"),
        ("mul", "NaN 1", "NaN"),
        ("mul", "123456789 1000000000000", "123456789000000000000"),
        ("div", "1 3", "0.3333333333333333"),
        ("div", "10 4", "2.5"),
        ("div", "1 0", "Infinity"),
        ("div", "-1 0", "-Infinity"),
        ("div", "1 -0", "-Infinity"),
        ("div", "0 0", "NaN"),
        ("div", "Infinity 0", "Infinity"),
        ("div", "1 Infinity", "0"),
        ("div", "1 1e-300", "9.999999999999999e+299"),  # as node prints it
    ],
)
def test_operations_print_like_javascript(
    operand_urls: dict[str, str], service: str, body: str, reply: str
) -> None:
    response = request(operand_urls[service], body)
    assert (response.status, response.text) == (200, reply + "\r\n")


MALFORMED = [
    "",
    "\n",
    "5",
    "5 6 7",
    "5  6",
    " 5 6",
    "5 6 ",
    "5\t6",
    "5,6",
    "5 6\n\n",
    "abc def",
    "5 abc",
    "5 6abc",
    "nan 1",
    "1 inf",
    "infinity 1",
    "0x10 1",
    "1_000 1",
    "1e 2",
    "\u0661 2",
    "(5+6) 2",
]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_bodies_get_400_and_the_server_keeps_serving(
    operand_urls: dict[str, str], body: str
) -> None:
    for url in operand_urls.values():
        response = request(url, body)
        assert response.status == 400
        assert response.text.endswith("\r\n")
        assert USAGE in response.text
    assert request(operand_urls["sum"], "5 6").text == "11\r\n"


def test_error_messages_say_what_is_wrong(sum_url: str) -> None:
    assert request(sum_url, "").text == f"empty body: {USAGE}\r\n"
    assert request(sum_url, "5 6 7").text == f"{USAGE}; got 3 fields in '5 6 7'\r\n"
    assert request(sum_url, "5 abc").text == f"{USAGE}; 'abc' is not a number\r\n"
    long = request(sum_url, "1 " + "x" * 100).text
    assert long == f"{USAGE}; '{'x' * 40}...' is not a number\r\n"


def test_parse_operands_directly() -> None:
    assert parse_operands("5 6") == (5.0, 6.0)
    assert parse_operands("-1.5e3 .25\r\n") == (-1500.0, 0.25)
    with pytest.raises(ValueError, match="got 1 fields"):
        parse_operands("5")


def test_js_divide_signs() -> None:
    assert js_divide(-3, 0.0) == float("-inf")
    assert js_divide(-3, -0.0) == float("inf")
    assert js_divide(6, 3) == 2
