"""The calculator over real HTTP, talking to the four real operand services (and to broken ones)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from services.calculator import OperandClient, calculator_app
from services.httpd import Reply, ServiceServer
from services.operand import OPERAND_SERVICES, operand_app
from tests.services.svc_support import closed_port_url, request


def test_labs_transcript_byte_for_byte(calculator_url: str) -> None:
    response = request(calculator_url, b"(5+6)*2")
    assert response.status == 200
    assert response.body == b"result = 22\r\n"
    assert response.headers["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("expression", "result"),
    [
        ("5+6", "11"),
        ("5-6", "-1"),
        ("5*6", "30"),
        ("5/6", "0.8333333333333334"),
        ("2+3*4", "14"),
        ("2*3+4", "10"),
        ("(2+3)*4", "20"),
        ("8-3-2", "3"),
        ("16/4/2", "2"),
        ("8-(3-2)", "7"),
        ("1.5*4", "6"),
        ("0.1+0.2", "0.30000000000000004"),
        ("-5+2", "-3"),
        ("-(2+3)*2", "-10"),
        ("2*-3", "-6"),
        ("-7", "-7"),
        ("42", "42"),
        ("1/0", "Infinity"),
        ("-1/0", "-Infinity"),
        ("0/0", "NaN"),
        ("1/0-1/0", "NaN"),
        ("1/0+1", "Infinity"),
        ("1e21*10", "1e+22"),
        ("1/10000000", "1e-7"),
        (" ( 5 + 6 ) * 2 \n", "22"),
    ],
)
def test_expressions(calculator_url: str, expression: str, result: str) -> None:
    response = request(calculator_url, expression)
    assert (response.status, response.text) == (200, f"result = {result}\r\n")


@pytest.fixture
def recording_services(
    serve: Callable[..., ServiceServer],
) -> Iterator[tuple[dict[str, str], list[tuple[str, str]]]]:
    """Real operand services that also record every body they receive."""
    seen: list[tuple[str, str]] = []
    lock = threading.Lock()

    def recorder(name: str) -> Callable[[str], Reply]:
        real = operand_app(name)

        def app(body: str) -> Reply:
            with lock:
                seen.append((name, body))
            return real(body)

        return app

    yield {name: serve(recorder(name), name).url for name in OPERAND_SERVICES}, seen


def test_operand_services_receive_javascript_formatted_operands(
    serve: Callable[..., ServiceServer],
    recording_services: tuple[dict[str, str], list[tuple[str, str]]],
) -> None:
    urls, seen = recording_services
    calculator = serve(calculator_app(urls), "calculator").url
    assert request(calculator, "(5+6)*2").text == "result = 22\r\n"
    assert seen == [("sum", "5 6"), ("mul", "11 2")]
    seen.clear()
    assert (
        request(calculator, "1e21*0.5 - -(2.50) / 1e-7").text
        == "result = 500000000000025000000\r\n"
    )
    assert seen == [
        ("mul", "1e+21 0.5"),
        ("div", "-2.5 1e-7"),
        ("sub", "500000000000000000000 -25000000"),
    ]


def test_nesting_error_echoes_only_a_window_of_a_long_body(calculator_url: str) -> None:
    body = "(" * 2000 + "1" + ")" * 2000
    response = request(calculator_url, body)
    assert response.status == 400
    assert "nested deeper" in response.text
    assert len(response.text) < 200
    assert response.text.endswith("^\r\n") and "\n" not in response.text.replace("\r\n", "")


def test_malformed_expression_is_400_with_position_then_still_serving(calculator_url: str) -> None:
    response = request(calculator_url, "(5+*6)")
    assert response.status == 400
    assert response.text == (
        "invalid expression: expected a number or '(', got '*' at position 4\r\n(5+*6)\r\n   ^\r\n"
    )
    for bad in ["", "5 6", "(5+6", "2^3", "abc", "((("]:
        response = request(calculator_url, bad)
        assert response.status == 400
        assert response.text.startswith("invalid expression: ")
    assert request(calculator_url, "(5+6)*2").text == "result = 22\r\n"


def test_unreachable_sum_service_is_502_naming_it_but_not_its_address(
    serve: Callable[..., ServiceServer], operand_urls: dict[str, str]
) -> None:
    dead = closed_port_url()
    calculator = serve(calculator_app({**operand_urls, "sum": dead}), "calculator").url
    response = request(calculator, "(5+6)*2")
    assert response.status == 502
    assert response.text == "sum service: connection refused\r\n"
    # expressions that need no addition still work
    assert request(calculator, "(5-6)*2").text == "result = -2\r\n"


def test_operand_service_timeout_is_502(
    serve: Callable[..., ServiceServer], operand_urls: dict[str, str]
) -> None:
    with socket.socket() as silent:  # accepts connections (kernel backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        calculator = serve(calculator_app({**operand_urls, "div": url}, timeout=0.3)).url
        response = request(calculator, "1+4/2")
    assert response.status == 502
    assert response.text == "div service: timed out after 0.3 s\r\n"


def test_operand_service_errors_and_garbage_are_502(
    serve: Callable[..., ServiceServer], operand_urls: dict[str, str]
) -> None:
    broken = serve(lambda body: Reply(500, "boom")).url
    chatty = serve(lambda body: Reply(200, "hello")).url
    calculator = serve(calculator_app({**operand_urls, "mul": broken, "sub": chatty})).url
    response = request(calculator, "2*3")
    assert (response.status, response.text) == (502, "mul service: HTTP 500: boom\r\n")
    response = request(calculator, "2-3")
    assert response.status == 502
    assert response.text == "sub service: unexpected reply 'hello'\r\n"


def test_operand_client_validates_its_urls(operand_urls: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="missing URL for the div service"):
        OperandClient({k: v for k, v in operand_urls.items() if k != "div"})
    with pytest.raises(ValueError, match="not an http:// URL"):
        OperandClient({**operand_urls, "sum": "ftp://example.org/"})


def test_proxy_environment_is_ignored(
    monkeypatch: pytest.MonkeyPatch,
    serve: Callable[..., ServiceServer],
    operand_urls: dict[str, str],
) -> None:
    monkeypatch.setenv("http_proxy", closed_port_url())
    monkeypatch.setenv("HTTP_PROXY", closed_port_url())
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    calculator = serve(calculator_app(operand_urls)).url
    assert request(calculator, "(5+6)*2").text == "result = 22\r\n"


def test_replicas_are_called_in_turn(serve, operand_urls: dict[str, str]) -> None:
    """With several URLs for a service, the calculator spreads its calls round robin."""
    from services.calculator import calculator_app
    from services.operand import operand_app

    calls: list[str] = []

    def counting(tag: str):
        inner = operand_app("sum")

        def app(body: str):
            calls.append(tag)
            return inner(body)

        return app

    first, second = serve(counting("a"), name="sum-a"), serve(counting("b"), name="sum-b")
    urls = {**operand_urls, "sum": [first.url, second.url]}
    calculator = serve(calculator_app(urls, timeout=5), name="calculator")
    assert request(calculator.url, b"1+1+1+1+1").body == b"result = 5\r\n"
    assert calls == ["a", "b", "a", "b"]


def test_cli_takes_comma_separated_replicas() -> None:
    from services.__main__ import build_parser

    args = build_parser().parse_args(
        ["calculator", "--sum", "http://10.0.0.1:50001,http://10.0.0.2:50001"]
    )
    assert args.sum == ["http://10.0.0.1:50001", "http://10.0.0.2:50001"]
