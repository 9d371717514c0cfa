"""Persistent connections: HTTP/1.1 keep-alive on the server side, its limits and deadlines,
and the calculator's pool of connections to the operand services."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import weakref
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from services.calculator import calculator_app
from services.httpd import Reply, ServiceServer
from services.operand import OPERAND_SERVICES, operand_app
from tests.services.svc_support import raw_exchange


def connect(url: str, timeout: float = 10) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


_LEFTOVER: weakref.WeakKeyDictionary[socket.socket, bytes] = weakref.WeakKeyDictionary()


def read_reply(sock: socket.socket) -> tuple[bytes, bytes]:
    """One reply (head, body) from a socket, by its Content-Length; bytes of the next
    replies (pipelining) are kept for the next call."""
    data = _LEFTOVER.pop(sock, b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed after {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk
        rest += chunk
    _LEFTOVER[sock] = rest[length:]
    return head + b"\r\n", rest[:length]


def closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def post(body: bytes, *, version: str = "HTTP/1.1", extra: str = "") -> bytes:
    return (
        f"POST / {version}\r\nHost: x\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body
    )


def test_one_connection_serves_many_requests(sum_url: str) -> None:
    conn = http.client.HTTPConnection(urlsplit(sum_url).hostname, urlsplit(sum_url).port)
    try:
        for i in range(20):
            conn.request("POST", "/", body=f"{i} 1")
            reply = conn.getresponse()
            assert (reply.status, reply.read()) == (200, f"{i + 1}\r\n".encode())
            assert reply.getheader("Connection") is None
            assert not reply.will_close
    finally:
        conn.close()


def test_connection_close_is_honoured(sum_url: str) -> None:
    with connect(sum_url) as sock:
        sock.sendall(post(b"5 6", extra="Connection: close\r\n"))
        head, body = read_reply(sock)
        assert body == b"11\r\n"
        assert b"\r\nConnection: close" in head
        assert closed_by_peer(sock)


def test_http_10_closes_unless_keep_alive_is_asked(sum_url: str) -> None:
    raw = raw_exchange(sum_url, post(b"5 6", version="HTTP/1.0"))
    assert raw.startswith(b"HTTP/1.1 200 ") and b"\r\nConnection: close\r\n" in raw
    with connect(sum_url) as sock:
        for _ in range(3):
            sock.sendall(post(b"5 6", version="HTTP/1.0", extra="Connection: keep-alive\r\n"))
            head, body = read_reply(sock)
            assert body == b"11\r\n" and b"\r\nConnection: keep-alive\r\n" in head


def test_pipelined_requests_are_answered_in_order(sum_url: str) -> None:
    with connect(sum_url) as sock:
        sock.sendall(b"".join(post(f"{i} {i}".encode()) for i in range(10)))
        for i in range(10):
            assert read_reply(sock)[1] == f"{2 * i}\r\n".encode()


def test_protocol_errors_close_the_connection(sum_url: str) -> None:
    # the rest of the stream cannot be trusted after a framing error, nor after a 404/405
    # whose body was not read
    for data in (
        b"POST / HTTP/1.1\r\nHost: x\r\n\r\n5 6",
        b"GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\n5 6",
        b"POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\n5 6",
    ):
        with connect(sum_url) as sock:
            sock.sendall(data + post(b"5 6"))
            head, _ = read_reply(sock)
            assert b"\r\nConnection: close\r\n" in head
            assert closed_by_peer(sock)


def test_app_errors_keep_the_connection(sum_url: str) -> None:
    with connect(sum_url) as sock:
        sock.sendall(post(b"5 x"))
        head, _ = read_reply(sock)
        assert head.startswith(b"HTTP/1.1 400 ")
        sock.sendall(post(b"5 6"))
        assert read_reply(sock)[1] == b"11\r\n"


def test_expect_100_continue(sum_url: str) -> None:
    with connect(sum_url) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"5 6")
        assert read_reply(sock)[1] == b"11\r\n"


def test_idle_keep_alive_connections_time_out(serve: Callable[..., ServiceServer]) -> None:
    server = serve(operand_app("sum"), keepalive_timeout=0.3)
    with connect(server.url) as sock:
        sock.sendall(post(b"5 6"))
        assert read_reply(sock)[1] == b"11\r\n"
        started = time.monotonic()
        assert closed_by_peer(sock)
        assert 0.2 < time.monotonic() - started < 5


def test_connections_held_open_are_bounded(serve: Callable[..., ServiceServer]) -> None:
    server = serve(operand_app("sum"), max_connections=2)
    with connect(server.url) as first, connect(server.url) as second:
        for sock in (first, second):
            sock.sendall(post(b"1 1"))
            assert read_reply(sock)[1] == b"2\r\n"
        # a third connection: the oldest idle one is closed to make room
        with connect(server.url) as third:
            third.sendall(post(b"2 2"))
            assert read_reply(third)[1] == b"4\r\n"
            assert closed_by_peer(first)
            # all three busy mid-request: a newcomer is told why it is turned away
            second.sendall(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n")
            third.sendall(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n")
            time.sleep(0.2)
            with connect(server.url) as fourth:
                head, body = read_reply(fourth)
                assert head.startswith(b"HTTP/1.1 503 ")
                assert body == b"server busy: too many open connections\r\n"


def test_calculator_reuses_its_operand_connections(serve: Callable[..., ServiceServer]) -> None:
    urls = {name: serve(operand_app(name), name).url for name in OPERAND_SERVICES}
    calculator = serve(calculator_app(urls, timeout=5), "calculator")
    with connect(calculator.url) as sock:
        for _ in range(10):
            sock.sendall(post(b"1+1+1+1"))
            assert read_reply(sock)[1] == b"result = 4\r\n"
    # the sum service saw one connection from the calculator, not 30
    assert len(_established_to(urlsplit(urls["sum"]).port)) == 1


def _established_to(port: int | None) -> list[tuple[str, int]]:
    """Client ends of the established TCP connections to ``port`` on 127.0.0.1."""
    found = []
    with open("/proc/net/tcp") as table:
        for line in list(table)[1:]:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if state == "01" and int(remote.split(":")[1], 16) == port:
                found.append((local, int(local.split(":")[1], 16)))
    return found


def test_calculator_retries_a_connection_the_operand_closed_while_idle(
    serve: Callable[..., ServiceServer], operand_urls: dict[str, str]
) -> None:
    short = serve(operand_app("sum"), "sum", keepalive_timeout=0.1)
    calculator = serve(calculator_app({**operand_urls, "sum": short.url}, timeout=5)).url
    with connect(calculator) as sock:
        for _ in range(3):
            sock.sendall(post(b"5+6"))
            assert read_reply(sock)[1] == b"result = 11\r\n"
            time.sleep(0.3)  # the sum service drops the pooled connection meanwhile


def test_a_slow_operand_does_not_hold_up_other_clients(
    serve: Callable[..., ServiceServer], operand_urls: dict[str, str]
) -> None:
    release = threading.Event()

    def slow_div(body: str) -> Reply:
        release.wait(5)
        return operand_app("div")(body)

    slow = serve(slow_div, "div")
    calculator = serve(calculator_app({**operand_urls, "div": slow.url}, timeout=5)).url
    with connect(calculator) as waiting, connect(calculator) as other:
        waiting.sendall(post(b"1/2"))
        time.sleep(0.1)
        started = time.monotonic()
        other.sendall(post(b"5+6"))
        assert read_reply(other)[1] == b"result = 11\r\n"
        assert time.monotonic() - started < 2
        release.set()
        assert read_reply(waiting)[1] == b"result = 0.5\r\n"


@pytest.mark.parametrize("count", [64])
def test_many_idle_connections_cost_no_threads(sum_url: str, count: int) -> None:
    before = threading.active_count()
    socks = [connect(sum_url) for _ in range(count)]
    try:
        for sock in socks:
            sock.sendall(post(b"1 2"))
        for sock in socks:
            assert read_reply(sock)[1] == b"3\r\n"
        assert threading.active_count() == before
    finally:
        for sock in socks:
            sock.close()
