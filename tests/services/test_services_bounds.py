"""Bounded work per calculator request: an operation cap, an overall deadline, cancellation
when the client leaves, and 502s that name no internal address."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from services.calculator import DEFAULT_MAX_OPERATIONS, calculator_app
from services.httpd import Reply, ServiceServer
from services.operand import operand_app
from tests.services.svc_support import closed_port_url, raw_exchange, request


def _counting_sum(delay: float = 0.0) -> tuple[Callable[[str], Reply], list[float]]:
    """A sum service that records the time of every call and takes ``delay`` to answer."""
    inner = operand_app("sum")
    calls: list[float] = []

    def app(body: str) -> Reply:
        calls.append(time.monotonic())
        if delay:
            time.sleep(delay)
        reply = inner(body)
        assert isinstance(reply, Reply)
        return reply

    return app, calls


def test_an_expression_over_the_operation_cap_is_413_before_any_operand_call(
    serve: Callable[..., ServiceServer], operand_urls: dict[str, str]
) -> None:
    app, calls = _counting_sum()
    counted = serve(app, name="sum").url
    calculator = serve(calculator_app({**operand_urls, "sum": counted}, max_operations=5)).url
    assert request(calculator, "1+1+1+1+1+1").text == "result = 6\r\n"  # 5: at the cap
    assert len(calls) == 5
    response = request(calculator, "1+1+1+1+1+1+1")
    assert (response.status, response.text) == (
        413,
        "expression too long: 6 operations, the limit is 5\r\n",
    )
    assert len(calls) == 5  # refused before any call
    # the default cap stops the ~2,000 calls one 4 KiB body could ask for
    default = serve(calculator_app({**operand_urls, "sum": counted})).url
    body = "1" + "+1" * 2000
    assert len(body) < 4096
    response = request(default, body)
    assert response.status == 413
    assert f"the limit is {DEFAULT_MAX_OPERATIONS}" in response.text
    assert len(calls) == 5
    assert request(default, "(5+6)*2").text == "result = 22\r\n"


def test_a_request_past_the_deadline_is_504_and_the_service_goes_on(
    serve: Callable[..., ServiceServer], operand_urls: dict[str, str]
) -> None:
    app, calls = _counting_sum(delay=0.2)
    slow = serve(app, name="sum").url
    calculator = serve(calculator_app({**operand_urls, "sum": slow}, timeout=5, deadline=0.5)).url
    started = time.monotonic()
    response = request(calculator, "1" + "+1" * 20)  # 20 calls of 0.2 s: 4 s without a deadline
    took = time.monotonic() - started
    assert (response.status, response.text) == (
        504,
        "computation took longer than 0.5 s: gave up\r\n",
    )
    assert took < 2.0
    time.sleep(0.5)
    assert len(calls) <= 4  # the computation stopped with the deadline
    assert request(calculator, "(5-6)*2").text == "result = -2\r\n"


def test_a_client_that_disconnects_cancels_its_computation(
    serve: Callable[..., ServiceServer], operand_urls: dict[str, str]
) -> None:
    app, calls = _counting_sum(delay=0.05)
    slow = serve(app, name="sum").url
    calculator = serve(calculator_app({**operand_urls, "sum": slow}, timeout=5)).url
    body = b"1" + b"+1" * 60  # 60 calls, 3 s if carried to the end
    parts = urlsplit(calculator)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(calls) >= 3, "the computation never started"
    sock.close()
    at_close = len(calls)
    time.sleep(1.0)  # 20 more calls' worth of time
    assert len(calls) <= at_close + 2, f"{len(calls) - at_close} calls after the client left"
    # the calculator still serves, and a send-and-close client has not used up a slot
    assert request(calculator, "(5+6)*2").text == "result = 22\r\n"


def test_malformed_requests_leave_the_calculator_serving(calculator_url: str) -> None:
    for junk in (
        b"\x00\xff garbage\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 4\r\n\r\n\xff\xfe\xfd\xfc",
    ):
        reply = raw_exchange(calculator_url, junk, timeout=5)
        assert reply.startswith((b"HTTP/1.1 400", b"Bad ")), reply
    assert request(calculator_url, "(5+6)*2").text == "result = 22\r\n"


def test_502_bodies_name_no_internal_address(
    serve: Callable[..., ServiceServer], operand_urls: dict[str, str]
) -> None:
    dead = closed_port_url()
    broken = serve(lambda body: Reply(503, "down")).url
    calculator = serve(calculator_app({**operand_urls, "sum": dead, "mul": broken})).url
    for expression in ("1+1", "2*2"):
        response = request(calculator, expression)
        assert response.status == 502
        for url in (dead, broken):
            host_port = urlsplit(url).netloc
            assert host_port not in response.text
            assert str(urlsplit(url).port) not in response.text
        assert "127.0.0.1" not in response.text


def test_concurrent_send_and_close_clients_do_not_pile_up_work(
    serve: Callable[..., ServiceServer], operand_urls: dict[str, str]
) -> None:
    """Many clients that send a long expression and leave: the operand sees a few calls
    per client, not the whole expression's worth."""
    app, calls = _counting_sum(delay=0.02)
    slow = serve(app, name="sum").url
    calculator = serve(calculator_app({**operand_urls, "sum": slow}, timeout=5)).url
    parts = urlsplit(calculator)
    body = b"1" + b"+1" * 100
    data = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)

    def hit_and_run() -> None:
        with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
            sock.sendall(data)

    clients = [threading.Thread(target=hit_and_run) for _ in range(10)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(5)
    time.sleep(1.5)
    assert len(calls) <= 10 * 3, f"{len(calls)} operand calls for 10 clients that left"


def test_a_network_error_is_described_without_the_address() -> None:
    from services.calculator import _describe

    unreachable = OSError(113, "Connect call failed ('192.168.18.12', 50002)")
    assert _describe(unreachable, 5) == "no route to host"
    several = OSError("Multiple exceptions: [Errno 113] Connect call failed ('10.0.0.5', 1)")
    assert _describe(several, 5) == "connection failed"
