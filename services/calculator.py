"""The calculator service: parses an infix expression and has the operand services compute it.

Every binary operation is one ``POST`` to the matching operand service (``+`` sum, ``-`` sub,
``*`` mul, ``/`` div) with the body ``"a b"`` (operands printed the JavaScript way), one
after the other, left to right. The reply is ``result = <n>``. A malformed expression is a
400 that points at the position; an operand service that cannot be reached, times out, or
answers anything but a 200 with a number is a 502 naming the service (never its address: the
client learns nothing about the lab's private network; the calculator's log on stderr has the
URL for its operators).

Every request's work is bounded: an expression of more than :data:`DEFAULT_MAX_OPERATIONS`
binary operations is refused with a 413 before any operand call, the whole computation has a
deadline (:data:`DEFAULT_DEADLINE`, a 504 past it), and a client that disconnects cancels its
computation (:mod:`services.httpd` cancels the app's coroutine).

The calls are asynchronous (the server keeps serving other clients meanwhile) and go over
persistent HTTP/1.1 connections: a bounded pool per replica (:data:`DEFAULT_POOL_SIZE`), reused
most-recent first, with one retry on a fresh connection when a pooled one turns out to have
been closed by the replica while idle (its keep-alive timeout). Every call, connect included,
is bounded by the timeout.

Proxies from the environment (``http_proxy``...) are ignored on purpose: the operand services
live on the lab's private network or on localhost, never behind the campus proxy.
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import os
import socket
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Awaitable
from urllib.parse import urlsplit

from services.expression import (
    ExpressionError,
    Node,
    Num,
    count_operations,
    evaluate_async,
    parse,
)
from services.httpd import App, Reply
from services.jsnumber import format_number, parse_number
from services.operand import OPERAND_SERVICES

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_OPERATIONS",
    "DEFAULT_POOL_SIZE",
    "DEFAULT_TIMEOUT",
    "SERVICE_FOR_OPERATOR",
    "OperandClient",
    "OperandServiceError",
    "calculator_app",
    "check_url",
]

DEFAULT_TIMEOUT = 5.0
#: Binary operations (operand calls) one expression may need; a 4 KiB body could ask ~2,000.
DEFAULT_MAX_OPERATIONS = 200
#: Seconds one request's whole computation may take, every operand call included.
DEFAULT_DEADLINE = 20.0
#: Persistent connections kept per operand replica (and the most open at once).
DEFAULT_POOL_SIZE = 32
SERVICE_FOR_OPERATOR = {"+": "sum", "-": "sub", "*": "mul", "/": "div"}
_MAX_REPLY = 4096


class OperandServiceError(Exception):
    """An operand service failed; the message names the service and its URL (for the log),
    :attr:`public` only the service (for the client)."""

    def __init__(self, service: str, url: str, reason: str) -> None:
        super().__init__(f"{service} service at {url}: {reason}")
        self.service = service
        self.url = url
        self.reason = reason

    @property
    def public(self) -> str:
        """What the client is told: the service and the reason, no internal address."""
        return f"{self.service} service: {self.reason}"


def check_url(url: str) -> str:
    """Return ``url`` if it is an ``http://`` or ``https://`` URL with a host, else raise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http:// URL: {url!r}")
    return url


def _describe(error: BaseException, timeout: float) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (TimeoutError, asyncio.TimeoutError)):
        return f"timed out after {timeout:g} s"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve host ({error.strerror})"
    if isinstance(error, http.client.HTTPException):
        return f"invalid HTTP reply ({type(error).__name__})"
    if isinstance(error, OSError):
        # asyncio's text names the address ("Connect call failed ('10.0.0.5', 50002)"): the
        # client is told only what went wrong.
        if error.errno:
            return os.strerror(error.errno).lower()
        return "connection failed"
    return type(error).__name__


class _StaleConnectionError(Exception):
    """A reused connection that the peer had closed while it sat idle: retry on a new one."""


class _ReplyParser:
    """Reads one HTTP reply from a byte buffer: ``Content-Length``, chunked, or until the
    connection closes; keeps at most ``_MAX_REPLY + 1`` bytes of the body (the rest of a
    longer reply only matters as a reason not to reuse the connection)."""

    def __init__(self) -> None:
        self.status = 0
        self.reusable = False
        self.length: int | None = None
        self.chunked = False
        self.head_done = False

    def feed(self, buffer: bytearray, eof: bool) -> bytes | None:
        """The body once complete (and consumed from ``buffer``), else None."""
        while not self.head_done:
            end = buffer.find(b"\r\n\r\n")
            if end == -1:
                if len(buffer) > 65536:
                    raise http.client.LineTooLong("reply head")
                if eof:
                    raise http.client.RemoteDisconnected("closed before a complete reply")
                return None
            head = bytes(buffer[:end]).decode("iso-8859-1").split("\r\n")
            del buffer[: end + 4]
            version, _, rest = head[0].partition(" ")
            code = rest[:3]
            if not version.startswith("HTTP/") or not code.isdigit():
                raise http.client.BadStatusLine(head[0][:60])
            status = int(code)
            if 100 <= status < 200:
                continue  # 100 Continue and friends: the real reply follows
            headers: dict[str, str] = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers.setdefault(name.strip().lower(), value.strip())
            connection = headers.get("connection", "").lower()
            keep = version >= "HTTP/1.1" and "close" not in connection
            keep = keep or (version == "HTTP/1.0" and "keep-alive" in connection)
            self.status = status
            self.reusable = keep
            self.chunked = headers.get("transfer-encoding", "").lower() == "chunked"
            if not self.chunked and "content-length" in headers:
                value = headers["content-length"]
                if not value.isdigit():
                    raise http.client.HTTPException("invalid Content-Length")
                self.length = int(value)
            elif not self.chunked:
                self.reusable = False  # delimited by the close
            self.head_done = True
        if self.length is not None:
            if len(buffer) >= self.length:
                body = bytes(buffer[: self.length])
                del buffer[: self.length]
                return body[: _MAX_REPLY + 1]
            if len(buffer) > _MAX_REPLY:
                self.reusable = False
                return bytes(buffer[: _MAX_REPLY + 1])
            if eof:
                raise http.client.IncompleteRead(bytes(buffer))
            return None
        if self.chunked:
            return self._chunked(buffer, eof)
        if eof or len(buffer) > _MAX_REPLY:
            return bytes(buffer[: _MAX_REPLY + 1])
        return None

    def _chunked(self, buffer: bytearray, eof: bool) -> bytes | None:
        parts: list[bytes] = []
        pos = 0
        while True:
            nl = buffer.find(b"\r\n", pos)
            if nl == -1:
                break
            size_text = bytes(buffer[pos:nl]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise http.client.HTTPException("malformed chunked reply") from None
            if size == 0:
                trailer_end = buffer.find(b"\r\n\r\n", nl)
                if trailer_end == -1 and buffer[nl : nl + 4] != b"\r\n\r\n":
                    break
                del buffer[: (trailer_end if trailer_end != -1 else nl) + 4]
                return b"".join(parts)[: _MAX_REPLY + 1]
            if len(buffer) < nl + 2 + size + 2:
                break
            parts.append(bytes(buffer[nl + 2 : nl + 2 + size]))
            pos = nl + 2 + size + 2
            if sum(map(len, parts)) > _MAX_REPLY:
                self.reusable = False
                return b"".join(parts)[: _MAX_REPLY + 1]
        if eof:
            raise http.client.IncompleteRead(bytes(buffer))
        return None


class _OperandConnection(asyncio.Protocol):
    """One persistent connection to an operand replica: one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.parser: _ReplyParser | None = None
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False
        self.eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._advance()

    def eof_received(self) -> bool:
        self.eof = True
        self._advance()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.eof = True
        self._advance()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or http.client.RemoteDisconnected("closed"))

    def _advance(self) -> None:
        waiter, parser = self.waiter, self.parser
        if waiter is None or parser is None or waiter.done():
            return
        if self.eof and not self.buffer and not parser.head_done:
            waiter.set_exception(_StaleConnectionError("closed by the peer"))
            return
        try:
            body = parser.feed(self.buffer, self.eof)
        except (http.client.HTTPException, ValueError) as exc:
            waiter.set_exception(exc)
            return
        if body is not None:
            waiter.set_result((parser.status, body))

    def exchange(self, request: bytes) -> asyncio.Future[tuple[int, bytes]]:
        """Send ``request``; the future resolves to the reply's status and body."""
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.parser = _ReplyParser()
        self.transport.write(request)
        return self.waiter

    @property
    def reusable(self) -> bool:
        return (
            not self.closed
            and not self.eof
            and not self.buffer
            and self.parser is not None
            and self.parser.reusable
        )

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class _ReplicaPool:
    """Persistent connections to one replica: at most ``size`` open, idle ones reused
    (most recently used first), a connection the peer closed while idle is replaced once."""

    def __init__(self, url: str, size: int) -> None:
        parts = urlsplit(url)
        self.url = url
        self.host = parts.hostname or ""
        self.tls = parts.scheme == "https"
        self.port = parts.port or (443 if self.tls else 80)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.prefix = (
            f"POST {target} HTTP/1.1\r\nHost: {host}:{self.port}\r\n"
            "Content-Type: text/plain\r\nContent-Length: "
        ).encode("latin-1")
        self.size = size
        self.idle: list[_OperandConnection] = []
        self.slots: asyncio.Semaphore | None = None

    async def _connect(self, timeout: float) -> _OperandConnection:
        loop = asyncio.get_running_loop()
        ssl_context: Any = None
        if self.tls:
            import ssl

            ssl_context = ssl.create_default_context()
        _, conn = await asyncio.wait_for(
            loop.create_connection(_OperandConnection, self.host, self.port, ssl=ssl_context),
            timeout,
        )
        return conn

    async def post(self, body: bytes, timeout: float) -> tuple[int, bytes]:
        """POST ``body``; the reply's status and body. Raises OSError, HTTPException or
        asyncio.TimeoutError (the whole call, waiting for a free slot included)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self.slots is None:
            self.slots = asyncio.Semaphore(self.size)
        if self.slots.locked():
            await asyncio.wait_for(self.slots.acquire(), timeout)
        else:
            await self.slots.acquire()
        try:
            request = self.prefix + str(len(body)).encode() + b"\r\n\r\n" + body
            while self.idle:
                conn = self.idle.pop()
                if not conn.reusable:
                    conn.close()
                    continue
                try:
                    return await self._exchange(conn, request, deadline)
                except _StaleConnectionError:
                    continue  # closed by the peer while idle: take another one
            conn = await self._connect(max(deadline - loop.time(), 0.001))
            try:
                return await self._exchange(conn, request, deadline)
            except _StaleConnectionError as exc:
                raise http.client.RemoteDisconnected(str(exc)) from None
        finally:
            self.slots.release()

    async def _exchange(
        self, conn: _OperandConnection, request: bytes, deadline: float
    ) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        waiter = conn.exchange(request)
        timer = loop.call_at(deadline, _expire, waiter)
        try:
            result = await waiter
        except BaseException:
            conn.close()
            raise
        finally:
            timer.cancel()
        if conn.reusable and len(self.idle) < self.size:
            self.idle.append(conn)
        else:
            conn.close()
        return result

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()


def _expire(waiter: asyncio.Future[tuple[int, bytes]]) -> None:
    if not waiter.done():
        waiter.set_exception(asyncio.TimeoutError())


class OperandClient:
    """Calls the operand services over HTTP with persistent connections (a bounded pool per
    replica); :meth:`__call__` is the ``apply`` of :func:`services.expression.evaluate_async`.
    The pools belong to the event loop of the first call (the calculator server's)."""

    def __init__(
        self,
        urls: Mapping[str, str | Sequence[str]],
        timeout: float = DEFAULT_TIMEOUT,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        missing = [name for name in OPERAND_SERVICES if not urls.get(name)]
        if missing:
            raise ValueError(f"missing URL for the {', '.join(missing)} service")
        #: Every replica's URL per service; calls go round-robin over them.
        self.replicas = {
            name: [
                check_url(u) for u in ([urls[name]] if isinstance(urls[name], str) else urls[name])
            ]
            for name in OPERAND_SERVICES
        }
        self.urls = {name: found[0] for name, found in self.replicas.items()}
        self.timeout = timeout
        self.pool_size = pool_size
        self._turns = {name: itertools.cycle(found) for name, found in self.replicas.items()}
        self._lock = threading.Lock()
        self._pools: dict[str, _ReplicaPool] = {}

    def next_url(self, service: str) -> str:
        """The URL of the replica whose turn it is (thread-safe round robin)."""
        with self._lock:
            return next(self._turns[service])

    async def __call__(self, op: str, a: float, b: float) -> float:
        return await self.call(SERVICE_FOR_OPERATOR[op], a, b)

    async def call(self, service: str, a: float, b: float) -> float:
        """POST ``"a b"`` to ``service`` and return the number it replies."""
        url = self.next_url(service)
        pool = self._pools.get(url)
        if pool is None:
            pool = self._pools[url] = _ReplicaPool(url, self.pool_size)
        body = f"{format_number(a)} {format_number(b)}".encode()
        try:
            status, raw = await pool.post(body, self.timeout)
        except (OSError, http.client.HTTPException, asyncio.TimeoutError) as exc:
            raise OperandServiceError(service, url, _describe(exc, self.timeout)) from None
        text = raw.decode("utf-8", "replace").strip()
        if status != 200:
            detail = text[:200].strip()
            if 200 <= status < 300:
                detail = ""
            reason = f"HTTP {status}" + (f": {detail}" if detail else "")
            raise OperandServiceError(service, url, reason)
        try:
            return parse_number(text)
        except ValueError:
            shown = text if len(text) <= 60 else text[:60] + "..."
            raise OperandServiceError(service, url, f"unexpected reply {shown!r}") from None

    async def aclose(self) -> None:
        """Close every pooled connection."""
        for pool in self._pools.values():
            pool.close()


class _CalculatorApp:
    """The calculator's :data:`~services.httpd.App`: returns a coroutine per request, so
    the server keeps serving while the operand services compute."""

    def __init__(
        self, client: OperandClient, max_operations: int, deadline: float, name: str
    ) -> None:
        self.client = client
        self.max_operations = max_operations
        self.deadline = deadline
        self.name = name

    def __call__(self, body: str) -> Reply | Awaitable[Reply]:
        try:
            tree = parse(body)
        except ExpressionError as exc:
            return Reply(400, f"invalid expression: {exc.describe()}")
        if isinstance(tree, Num):
            return Reply(200, f"result = {format_number(tree.value)}")
        operations = count_operations(tree)
        if operations > self.max_operations:
            return Reply(
                413,
                f"expression too long: {operations} operations, the limit is {self.max_operations}",
            )
        return self._compute(tree)

    async def _compute(self, tree: Node) -> Reply:
        try:
            value = await asyncio.wait_for(evaluate_async(tree, self.client), self.deadline)
        except OperandServiceError as exc:
            sys.stderr.write(f"{self.name}: 502: {exc}\n")
            return Reply(502, exc.public)
        except asyncio.TimeoutError:
            return Reply(504, f"computation took longer than {self.deadline:g} s: gave up")
        return Reply(200, f"result = {format_number(value)}")

    async def aclose(self) -> None:
        await self.client.aclose()


def calculator_app(
    urls: Mapping[str, str | Sequence[str]],
    timeout: float = DEFAULT_TIMEOUT,
    pool_size: int = DEFAULT_POOL_SIZE,
    *,
    max_operations: int = DEFAULT_MAX_OPERATIONS,
    deadline: float = DEFAULT_DEADLINE,
    name: str = "calculator",
) -> App:
    """The request handler of the calculator, given the four operand service URLs (each a
    URL or a list of replica URLs); ``pool_size`` bounds the connections to each replica,
    ``max_operations`` the operand calls per expression, ``deadline`` (seconds) each
    request's whole computation; ``name`` prefixes its log lines."""
    if max_operations < 1 or not deadline > 0:
        raise ValueError("max_operations must be at least 1 and deadline positive")
    return _CalculatorApp(OperandClient(urls, timeout, pool_size), max_operations, deadline, name)
