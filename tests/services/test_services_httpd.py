"""The shared HTTP layer: methods, paths, lengths, limits, and surviving every bad request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.httpd import Reply, ServiceServer
from services.operand import operand_app
from tests.services.svc_support import raw_exchange, request


def still_serving(url: str) -> None:
    response = request(url, "5 6")
    assert (response.status, response.body) == (200, b"11\r\n")


def status_of(raw: bytes) -> int:
    assert raw.startswith(b"HTTP/1.1 "), raw[:80]
    return int(raw.split(b" ", 2)[1])


def body_of(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[1]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"])
def test_wrong_method_is_405(sum_url: str, method: str) -> None:
    response = request(sum_url, "5 6", method=method)
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    assert response.text == f"method {method} not allowed: send POST / with a plain-text body\r\n"
    still_serving(sum_url)


def test_head_is_405_without_a_body(sum_url: str) -> None:
    response = request(sum_url, method="HEAD")
    assert (response.status, response.body) == (405, b"")
    still_serving(sum_url)


@pytest.mark.parametrize("path", ["/sum", "/x/", "//evil/x", "/index.html"])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_wrong_path_is_404(sum_url: str, path: str, method: str) -> None:
    response = request(sum_url, "5 6", method=method, path=path)
    assert response.status == 404
    assert response.text.startswith("not found: ")
    assert response.text.endswith("; the only resource is POST /\r\n")
    still_serving(sum_url)


def test_query_string_is_ignored(sum_url: str) -> None:
    assert request(sum_url, "5 6", path="/?x=1").text == "11\r\n"


def test_replies_keep_the_connection_unless_told_otherwise(sum_url: str) -> None:
    # HTTP/1.1 keep-alive (tests/services/test_services_keepalive.py has the details)
    assert request(sum_url, "5 6").headers["Connection"] is None
    assert request(sum_url, "5").headers["Connection"] is None
    closing = request(sum_url, "5 6", headers={"Connection": "close"})
    assert closing.headers["Connection"] == "close"


def test_missing_content_length_is_411(sum_url: str) -> None:
    raw = raw_exchange(sum_url, b"POST / HTTP/1.1\r\nHost: x\r\n\r\n5 6")
    assert status_of(raw) == 411
    assert body_of(raw) == b"Content-Length required\r\n"
    still_serving(sum_url)


@pytest.mark.parametrize("value", ["abc", "-1", "3.0", "0x3", " ", "\u0663"])
def test_invalid_content_length_is_400(sum_url: str, value: str) -> None:
    head = f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {value}\r\n\r\n".encode()
    raw = raw_exchange(sum_url, head + b"5 6")
    assert status_of(raw) == 400
    assert body_of(raw).startswith(b"invalid Content-Length")
    still_serving(sum_url)


def test_conflicting_content_lengths_are_400(sum_url: str) -> None:
    raw = raw_exchange(
        sum_url, b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n5 6"
    )
    assert status_of(raw) == 400
    still_serving(sum_url)


def test_body_at_the_limit_is_fine_one_more_byte_is_413(sum_url: str) -> None:
    body = "1 " + "0" * 4093 + "1"
    assert len(body) == 4096
    assert request(sum_url, body).text == "2\r\n"
    response = request(sum_url, body + "0")
    assert response.status == 413
    assert response.text == "request body too large: 4097 bytes, limit 4096\r\n"
    still_serving(sum_url)


def test_huge_declared_length_is_413_without_reading(sum_url: str) -> None:
    length = "9" * 40
    raw = raw_exchange(sum_url, f"POST / HTTP/1.1\r\nContent-Length: {length}\r\n\r\n".encode())
    assert status_of(raw) == 413
    still_serving(sum_url)


def test_incomplete_body_is_400(sum_url: str) -> None:
    raw = raw_exchange(
        sum_url, b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n5 6", half_close=True
    )
    assert status_of(raw) == 400
    assert body_of(raw) == b"incomplete body: got 3 of 10 bytes\r\n"
    still_serving(sum_url)


def chunked(*chunks: bytes) -> bytes:
    encoded = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    head = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    return head + encoded + b"0\r\n\r\n"


def test_chunked_bodies_are_accepted(sum_url: str) -> None:
    # Node's http.request without a Content-Length sends chunked bodies
    raw = raw_exchange(sum_url, chunked(b"5", b" ", b"6"))
    assert (status_of(raw), body_of(raw)) == (200, b"11\r\n")


def test_chunked_over_the_limit_is_413(sum_url: str) -> None:
    raw = raw_exchange(sum_url, chunked(b"1" * 3000, b"2" * 3000))
    assert status_of(raw) == 413
    still_serving(sum_url)


@pytest.mark.parametrize(
    "data",
    [
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n5 6\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n5 6XX0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n5 6",
    ],
)
def test_bad_transfer_encoding_is_400(sum_url: str, data: bytes) -> None:
    raw = raw_exchange(sum_url, data, half_close=True)
    assert status_of(raw) == 400
    still_serving(sum_url)


def test_non_utf8_body_is_400(sum_url: str) -> None:
    response = request(sum_url, b"5 \xff")
    assert (response.status, response.text) == (400, "the request body must be UTF-8 text\r\n")
    still_serving(sum_url)


def test_garbage_request_line_gets_a_plain_text_answer(sum_url: str) -> None:
    # no HTTP version on the line: the standard library answers HTTP/0.9 style (no headers)
    assert raw_exchange(sum_url, b"HELLO\r\n\r\n") == b"Bad request syntax ('HELLO')\r\n"
    still_serving(sum_url)


def test_oversized_header_is_a_plain_text_431(sum_url: str) -> None:
    raw = raw_exchange(sum_url, b"POST / HTTP/1.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
    assert status_of(raw) == 431
    assert b"Content-Type: text/plain" in raw
    still_serving(sum_url)


def test_a_client_that_sends_nothing_times_out(serve: Callable[..., ServiceServer]) -> None:
    server = serve(operand_app("sum"), request_timeout=0.3)
    started = time.monotonic()
    assert raw_exchange(server.url, b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n") == b""
    assert time.monotonic() - started < 5
    still_serving(server.url)


def test_a_crashing_app_is_500_and_the_server_carries_on(
    serve: Callable[..., ServiceServer], capsys: pytest.CaptureFixture[str]
) -> None:
    def app(body: str) -> Reply:
        if body == "crash":
            raise RuntimeError("bug")
        return Reply(200, body.upper())

    url = serve(app, name="fragile").url
    response = request(url, "crash")
    assert (response.status, response.text) == (500, "internal error in the fragile service\r\n")
    assert request(url, "ok").text == "OK\r\n"
    assert "RuntimeError: bug" in capsys.readouterr().err


def test_concurrent_requests(sum_url: str) -> None:
    with ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(lambda i: request(sum_url, f"{i} {i}").text, range(64)))
    assert replies == [f"{2 * i}\r\n" for i in range(64)]


def test_drain_waits_for_in_flight_requests(serve: Callable[..., ServiceServer]) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(body: str) -> Reply:
        started.set()
        release.wait(5)
        return Reply(200, "done")

    server = serve(slow)
    replies: list[str] = []
    client = threading.Thread(target=lambda: replies.append(request(server.url, "x").text))
    client.start()
    assert started.wait(5)
    assert not server.drain(0.2)  # one request in flight
    release.set()
    assert server.drain(5)
    client.join(5)
    assert replies == ["done\r\n"]


def test_access_log_goes_to_stderr_unless_quiet(
    serve: Callable[..., ServiceServer], capfd: pytest.CaptureFixture[str]
) -> None:
    loud = serve(operand_app("sum"), name="loud", quiet=False).url
    quiet = serve(operand_app("sum"), name="hush", quiet=True).url
    request(loud, "5 6")
    request(quiet, "5 6")
    err = capfd.readouterr().err
    assert 'loud: 127.0.0.1 "POST / HTTP/1.1" 200' in err
    assert "hush" not in err
