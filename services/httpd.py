"""The HTTP layer every service shares: ``POST /`` with a plain-text body in, plain text out.

A service is an :data:`App`, a function from the request body (decoded UTF-8 text) to a
:class:`Reply`, or to an awaitable of one (the calculator waits on its operand services that
way). This module does everything else: method and path checks, body limits
(``Content-Length`` or chunked), decoding, CRLF-terminated ``text/plain`` replies, access
logging, and a graceful stop on SIGTERM/SIGINT.

Why asyncio: one event loop serves every connection, so an idle keep-alive client costs a
socket and a few hundred bytes, not a thread; the loop reads straight from the socket buffer
(:class:`asyncio.Protocol`, no stream objects) because the operand services' work is a few
microseconds and the HTTP handling is most of the cost. A plain (synchronous) app runs inline
on the loop, so it must be quick; an app that waits on the network returns a coroutine.

Connections are persistent (HTTP/1.1 keep-alive) unless the client sends
``Connection: close``, speaks HTTP/1.0 without ``Connection: keep-alive``, or the reply is a
protocol error (404, 405, 411, 413, 400 on framing, 431...) after which the rest of the stream
cannot be trusted. Every read has a deadline: ``request_timeout`` from the first byte of a
request (or from the connect) to its last, ``keepalive_timeout`` between requests. At most
``max_connections`` are held open: past it the oldest idle one is closed, or the newcomer gets
a 503 when none is idle.

A client that goes away while its request is computed (it closes the connection, so the
server reads the end of the stream) cancels the computation: the app's coroutine is cancelled
and no more of its work (operand calls, for the calculator) is done, so send-and-close
requests cannot pile up work past the connection limit. The connection keeps being read while
the app computes, to notice that end; bytes of further (pipelined) requests are kept, up to a
bound past which reading pauses.

Status codes: 404 for a path other than ``/``, 405 for a method other than POST, 411 when
neither ``Content-Length`` nor chunked encoding says how long the body is, 400 for an invalid
``Content-Length``/chunk framing/non-UTF-8 body, 413 for a body over the limit, 500 if the
app itself crashes (the server carries on). Malformed request lines get the same answers as
Python's ``http.server`` gave (``Bad request syntax (...)``, HTTP/0.9 style, no headers).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from types import FrameType
from typing import Any, Awaitable, Callable, Union
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_KEEPALIVE_TIMEOUT",
    "DEFAULT_MAX_BODY",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_REQUEST_TIMEOUT",
    "App",
    "Reply",
    "ServiceServer",
    "make_server",
    "serve_until_signalled",
]

DEFAULT_MAX_BODY = 4096
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_KEEPALIVE_TIMEOUT = 5.0
DEFAULT_MAX_CONNECTIONS = 512

_SERVER = "cloudlab-services"
_DIGITS = re.compile(r"[0-9]+")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}")
_MAX_TRAILER_LINES = 64
#: The request line and headers together (``http.server`` read lines of up to 64 KiB).
_MAX_HEAD = 65536
_MAX_HEADERS = 100
_PHRASES = {status.value: status.phrase for status in HTTPStatus}


@dataclass(frozen=True)
class Reply:
    """A reply: status code and text (the CRLF line ending is added when sent)."""

    status: int
    text: str


App = Callable[[str], Union[Reply, Awaitable[Reply]]]


class _RequestError(Exception):
    """Raised while reading a request; becomes a plain-text error reply and a close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Request:
    """A parsed request head (request line and headers)."""

    __slots__ = ("command", "headers", "keep_alive", "line", "path", "version")

    def __init__(self, line: str, command: str, path: str, version: str) -> None:
        self.line = line
        self.command = command
        self.path = path
        self.version = version
        self.headers: dict[str, list[str]] = {}
        self.keep_alive = False

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[0] if values else None


class _Date:
    """The ``Date`` header value, formatted once per second."""

    second = -1
    value = ""

    @classmethod
    def now(cls) -> str:
        second = int(time.time())
        if second != cls.second:
            cls.second, cls.value = second, formatdate(second, usegmt=True)
        return cls.value


def _encode_text(text: str) -> bytes:
    # Every line ends in CRLF, as the original services' replies do (multi-line error
    # messages are built with "\n").
    if "\n" not in text:
        return (text + "\r\n").encode("utf-8")
    lines = text.replace("\r\n", "\n").split("\n")
    return "".join(line + "\r\n" for line in lines).encode("utf-8")


def _find_head_end(buffer: bytearray) -> tuple[int, int]:
    """Where the head ends (offset of its last line feed) and where the body starts;
    (-1, -1) if the blank line has not arrived. Bare LF line endings are accepted."""
    crlf = buffer.find(b"\n\r\n")
    lf = buffer.find(b"\n\n")
    if lf != -1 and (crlf == -1 or lf < crlf):
        return lf, lf + 2
    if crlf != -1:
        return crlf, crlf + 3
    return -1, -1


class _Connection(asyncio.Protocol):
    """One client connection: reads requests in order, answers each, keeps the socket
    open between them."""

    def __init__(self, server: ServiceServer) -> None:
        self.server = server
        self.loop = server._running_loop()
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.client = "-"
        self.request: _Request | None = None
        self.continued = False
        self.busy = False  # a request is being received or computed
        self.computing = False  # an async app is running
        self.task: asyncio.Task[None] | None = None  # its task, cancelled if the client leaves
        self.eof = False
        self.closed = False
        self.deadline = 0.0
        self.timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        if peer:
            self.client = str(peer[0])
        if not self.server._admit(self):
            self.transport.write(
                self._reply_bytes(None, 503, "server busy: too many open connections", False)
            )
            self._close()
            return
        self._expect_within(self.server.request_timeout)

    def data_received(self, data: bytes) -> None:
        if not self.busy:
            self._set_busy(True)
            self._expect_within(self.server.request_timeout)
        self.buffer += data
        if not self.computing:
            self._process()
        elif len(self.buffer) > self.server.max_body + _MAX_HEAD and self.transport is not None:
            self.transport.pause_reading()  # pipelined requests beyond one: wait for the reply

    def eof_received(self) -> bool:
        self.eof = True
        if self.computing:
            # The client closed its side while its request is computed: it is gone (nginx and
            # Go's net/http read it the same way), so its work stops here.
            self._cancel_computation()
            return False
        self._process()
        return True  # keep the write side open for the answer to a half-closed request

    def pause_writing(self) -> None:
        # A client that sends requests without reading the replies: stop reading it.
        assert self.transport is not None
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        if not self.computing and self.transport is not None:
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._cancel_computation()
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.busy and not self.computing:
            self._set_busy(False)
        self.server._forget(self)

    # -- deadlines -------------------------------------------------------------------------

    def _expect_within(self, seconds: float) -> None:
        """Move the read deadline; a single timer re-arms itself lazily when it fires."""
        self.deadline = self.loop.time() + seconds
        if self.timer is not None and self.timer.when() > self.deadline:
            self.timer.cancel()  # an earlier deadline than the timer's (idle < request)
            self.timer = None
        if self.timer is None:
            self.timer = self.loop.call_at(self.deadline, self._check_deadline)

    def _check_deadline(self) -> None:
        self.timer = None
        if self.closed:
            return
        if self.computing:  # the app bounds its own waits; read deadlines resume after it
            self._expect_within(self.server.request_timeout)
            return
        now = self.loop.time()
        if now < self.deadline:
            self.timer = self.loop.call_at(self.deadline, self._check_deadline)
            return
        self._close()  # a client that stalls, or an idle keep-alive one: no reply, close

    # -- state -----------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.server._count_busy(1 if busy else -1)

    def _close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()

    def close_if_idle(self) -> bool:
        """Close the connection if no request is under way on it (for a stop or eviction)."""
        if self.busy:
            return False
        self._close()
        return True

    def _cancel_computation(self) -> None:
        task = self.task
        if self.computing and task is not None and not task.done():
            task.cancel()

    def abort(self) -> None:
        if self.transport is not None:
            self.closed = True
            self.transport.abort()

    # -- requests --------------------------------------------------------------------------

    def _process(self) -> None:
        """Answer every complete request in the buffer, in order."""
        while not self.closed and not self.computing:
            try:
                ready = self._read_request()
            except _RequestError as bad:
                self._send(self.request, bad.status, bad.message, keep_alive=False)
                return
            if ready is None:
                if self.eof:
                    self._close()
                elif not self.buffer and self.request is None and self.busy:
                    self._set_busy(False)
                    self._expect_within(self.server.keepalive_timeout)
                return
            request, body = ready
            self.request = None
            self._handle(request, body)

    def _read_request(self) -> tuple[_Request, bytes | None] | None:
        """The next request and its body (None for a method without one), or None if it
        has not fully arrived; raises :class:`_RequestError` for a bad one."""
        if self.request is None:
            while self.buffer[:2] == b"\r\n":  # stray line ends between requests
                del self.buffer[:2]
            if not self.buffer:
                return None
            end, body_start = _find_head_end(self.buffer)
            if end == -1:
                if len(self.buffer) > _MAX_HEAD:
                    self._overflow()
                if self.eof and self.buffer.strip():
                    self._parse_head(bytes(self.buffer), complete=False)
                return None
            if end > _MAX_HEAD:
                self._overflow()
            head = bytes(self.buffer[:end])
            del self.buffer[:body_start]
            self.request = self._parse_head(head, complete=True)
            self.continued = False
        request = self.request
        if request.command != "POST" or not _path_is_root(request.path):
            return request, None
        body = self._read_body(request)
        if body is None:
            return None
        return request, body

    def _overflow(self) -> None:
        if b"\n" not in self.buffer[: _MAX_HEAD + 1]:
            self.request = _Request("", "", "", "")
            raise _RequestError(414, "Request-URI Too Long")
        line = bytes(self.buffer[: self.buffer.index(b"\n")]).rstrip(b"\r")
        self.request = _Request(line.decode("iso-8859-1"), "", "", "HTTP/1.1")
        raise _RequestError(431, "Line too long")

    def _parse_head(self, head: bytes, *, complete: bool) -> _Request:
        """Request line and headers, with the checks and messages of ``http.server``."""
        lines = head.split(b"\n")
        line = lines[0].rstrip(b"\r").decode("iso-8859-1")
        request = _Request(line, "", "", "HTTP/0.9")
        self.request = request  # error replies before the version is known are HTTP/0.9 style
        words = line.split()
        if not words:
            raise _RequestError(400, f"Bad request syntax ({line!r})")
        version_number = (0, 9)
        if len(words) >= 3:
            version = words[-1]
            try:
                if not version.startswith("HTTP/"):
                    raise ValueError
                numbers = version.split("/", 1)[1].split(".")
                if len(numbers) != 2 or not all(n.isdigit() and len(n) <= 10 for n in numbers):
                    raise ValueError
                version_number = (int(numbers[0]), int(numbers[1]))
            except ValueError:
                raise _RequestError(400, f"Bad request version ({version!r})") from None
            if version_number >= (2, 0):
                raise _RequestError(505, f"Invalid HTTP version ({version.split('/', 1)[1]})")
            request.version = version
        if not 2 <= len(words) <= 3:
            raise _RequestError(400, f"Bad request syntax ({line!r})")
        request.command, request.path = words[0], words[1]
        if len(words) == 2 and request.command != "GET":
            raise _RequestError(400, f"Bad HTTP/0.9 request type ({request.command!r})")
        if request.path.startswith("//"):
            request.path = "/" + request.path.lstrip("/")
        if not complete:
            return request
        if len(lines) - 1 > _MAX_HEADERS:
            raise _RequestError(431, "Too many headers")
        headers = request.headers
        last: list[str] | None = None
        for raw in lines[1:]:
            text = raw.rstrip(b"\r").decode("iso-8859-1")
            if text[:1] in (" ", "\t") and last is not None:  # obsolete line folding
                last[-1] = (last[-1] + " " + text.strip()).strip()
                continue
            name, colon, value = text.partition(":")
            if not colon or not name or name != name.strip():
                raise _RequestError(400, f"Bad header line ({text[:50]!r})")
            last = headers.setdefault(name.lower(), [])
            last.append(value.strip())
        tokens = {
            token.strip().lower()
            for value in headers.get("connection", ())
            for token in value.split(",")
        }
        if version_number >= (1, 1):
            request.keep_alive = "close" not in tokens
        elif version_number == (1, 0):
            request.keep_alive = "keep-alive" in tokens
        return request

    def _read_body(self, request: _Request) -> bytes | None:
        limit = self.server.max_body
        encoding = request.header("transfer-encoding")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise _RequestError(400, f"unsupported Transfer-Encoding: {encoding[:50]!r}")
            found = self._read_chunked(limit)
        else:
            lengths = request.headers.get("content-length") or []
            if not lengths:
                raise _RequestError(411, "Content-Length required")
            value = lengths[0]
            if len(set(lengths)) != 1 or not _DIGITS.fullmatch(value):
                raise _RequestError(400, f"invalid Content-Length: {', '.join(lengths)[:50]!r}")
            length = int(value) if len(value) <= 18 else limit + 1
            if length > limit:
                raise _RequestError(413, f"request body too large: {value} bytes, limit {limit}")
            if len(self.buffer) >= length:
                found = bytes(self.buffer[:length]), length
            elif self.eof:
                got = len(self.buffer)
                raise _RequestError(400, f"incomplete body: got {got} of {length} bytes")
            else:
                found = None
        if found is None:
            self._continue(request)
            return None
        body, used = found
        del self.buffer[:used]
        return body

    def _continue(self, request: _Request) -> None:
        """Answer ``Expect: 100-continue`` (curl sends it for bodies over 1 KiB)."""
        if self.continued or request.version < "HTTP/1.1":
            return
        expect = request.header("expect")
        if expect is not None and expect.lower() == "100-continue":
            self.continued = True
            assert self.transport is not None
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _read_chunked(self, limit: int) -> tuple[bytes, int] | None:
        """Parse a chunked body from the buffer: (body, bytes used), or None if more is
        needed. Parsed from the start each time; the body is small (``max_body``)."""
        buffer = self.buffer
        parts: list[bytes] = []
        total = 0
        pos = 0

        def need_more() -> None:
            if self.eof:
                raise _RequestError(400, "malformed chunked body")

        while True:
            nl = buffer.find(b"\n", pos, pos + 1024)
            if nl == -1:
                if len(buffer) - pos >= 1024:
                    raise _RequestError(400, "malformed chunked body")
                need_more()
                return None
            size_text = bytes(buffer[pos:nl]).split(b";", 1)[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_text):
                raise _RequestError(400, "malformed chunked body")
            size = int(size_text, 16)
            pos = nl + 1
            if size == 0:
                break
            total += size
            if total > limit:
                raise _RequestError(413, f"request body too large: over {limit} bytes")
            end = pos + size
            if len(buffer) < end + 1:
                need_more()
                return None
            if buffer[end : end + 1] == b"\n":
                after = end + 1
            elif len(buffer) < end + 2:
                need_more()
                return None
            elif buffer[end : end + 2] == b"\r\n":
                after = end + 2
            else:
                raise _RequestError(400, "malformed chunked body")
            parts.append(bytes(buffer[pos:end]))
            pos = after
        for _ in range(_MAX_TRAILER_LINES):
            nl = buffer.find(b"\n", pos, pos + 8192)
            if nl == -1:
                if len(buffer) - pos >= 8192:
                    raise _RequestError(400, "malformed chunked body: trailer line too long")
                if self.eof:  # the connection ended where the trailers would be: done
                    return b"".join(parts), len(buffer)
                return None
            line = buffer[pos : nl + 1]
            pos = nl + 1
            if line in (b"\r\n", b"\n"):
                return b"".join(parts), pos
        raise _RequestError(400, "malformed chunked body: too many trailer lines")

    def _handle(self, request: _Request, body: bytes | None) -> None:
        if not _path_is_root(request.path):
            message = f"not found: {request.path[:100]!r}; the only resource is POST /"
            self._send(request, 404, message, keep_alive=False)
            return
        if body is None:
            self._send(
                request,
                405,
                f"method {request.command} not allowed: send POST / with a plain-text body",
                keep_alive=False,
                extra="Allow: POST\r\n",
            )
            return
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            self._send(request, 400, "the request body must be UTF-8 text", request.keep_alive)
            return
        server = self.server
        try:
            result = server.app(text)
        except Exception:
            self._crashed(text)
            self._send(request, 500, f"internal error in the {server.name} service", True)
            return
        if isinstance(result, Reply):
            self._send(request, result.status, result.text, request.keep_alive)
            return
        # An awaitable: later requests wait in the buffer until its reply is sent; reading
        # goes on, to see the client leave (see eof_received).
        self.computing = True
        task = self.loop.create_task(self._finish(request, text, result))
        self.task = task
        server._tasks.add(task)
        task.add_done_callback(server._tasks.discard)

    async def _finish(self, request: _Request, text: str, pending: Awaitable[Reply]) -> None:
        try:
            reply = await pending
        except asyncio.CancelledError:
            # The client left (or the server stops): nobody to answer.
            self.computing = False
            self.task = None
            self._set_busy(False)
            self._close()
            return
        except Exception:
            self._crashed(text)
            reply = Reply(500, f"internal error in the {self.server.name} service")
        self.computing = False
        self.task = None
        if self.closed:
            self._set_busy(False)
            return
        self._send(request, reply.status, reply.text, request.keep_alive)
        if not self.closed:
            assert self.transport is not None
            self.transport.resume_reading()
            self._process()

    def _crashed(self, text: str) -> None:
        sys.stderr.write(f"{self.server.name}: internal error on {text[:200]!r}\n")
        traceback.print_exc()

    # -- replies ---------------------------------------------------------------------------

    def _reply_bytes(
        self,
        request: _Request | None,
        status: int,
        text: str,
        keep_alive: bool,
        extra: str = "",
    ) -> bytes:
        body = _encode_text(text)
        version = request.version if request is not None else "HTTP/1.1"
        if version == "HTTP/0.9":  # no status line, no headers: what http.server answered
            return body
        if keep_alive:
            connection = "Connection: keep-alive\r\n" if version == "HTTP/1.0" else ""
        else:
            connection = "Connection: close\r\n"
        head = (
            f"HTTP/1.1 {status} {_PHRASES.get(status, '')}\r\n"
            f"Server: {_SERVER}\r\nDate: {_Date.now()}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n{connection}{extra}\r\n"
        ).encode("latin-1")
        if request is not None and request.command == "HEAD":
            return head
        return head + body

    def _send(
        self,
        request: _Request | None,
        status: int,
        text: str,
        keep_alive: bool,
        extra: str = "",
    ) -> None:
        server = self.server
        # A half-closed client gets the answers to what it sent, then the close.
        keep_alive = keep_alive and not server._stopping and not (self.eof and not self.buffer)
        if request is not None and not request.keep_alive:
            keep_alive = False
        assert self.transport is not None
        self.transport.write(self._reply_bytes(request, status, text, keep_alive, extra))
        if not server.quiet:
            line = request.line if request is not None else ""
            sys.stderr.write(f'{server.name}: {self.client} "{line}" {status} -\n')
        self.request = None
        if not keep_alive:
            self._close()
        self._set_busy(False)
        if not self.closed:
            if self.buffer:
                self._set_busy(True)
                self._expect_within(server.request_timeout)
            else:
                self._expect_within(server.keepalive_timeout)


def _path_is_root(path: str) -> bool:
    return path == "/" or urlsplit(path).path == "/"


class ServiceServer:
    """An HTTP server running one :data:`App` on an asyncio event loop. Bound when made;
    :meth:`serve_forever` runs the loop in the calling thread, :meth:`shutdown` (from
    another thread) stops it, as with :mod:`socketserver`. Counts in-flight requests so a
    stop can wait for them (see :meth:`drain`)."""

    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        *,
        name: str,
        max_body: int = DEFAULT_MAX_BODY,
        quiet: bool = False,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self.name = name
        self.max_body = max_body
        self.quiet = quiet
        self.request_timeout = request_timeout
        self.keepalive_timeout = keepalive_timeout
        self.max_connections = max_connections
        self.socket = socket.socket(self.address_family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind(address)
            self.socket.listen(self.request_queue_size)
        except OSError:
            self.socket.close()
            raise
        self.server_address = self.socket.getsockname()
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        self._connections: dict[_Connection, None] = {}  # insertion order: oldest first
        self._busy = 0
        self._idle = threading.Condition()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._state = threading.RLock()  # also taken from a signal handler
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._stop_grace: float | None = None
        self._stopped = threading.Event()
        self.drained = True

    @property
    def url(self) -> str:
        """The base URL clients use (``http://host:port/``)."""
        host = self.server_name
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.server_port}/"

    # -- bookkeeping (loop thread) -----------------------------------------------------------

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None
        return self._loop

    def _admit(self, conn: _Connection) -> bool:
        if self._stopping:
            return False
        if len(self._connections) >= self.max_connections:
            for other in list(self._connections):
                if other.close_if_idle():
                    self._connections.pop(other, None)
                    break
            else:
                return False
        self._connections[conn] = None
        return True

    def _forget(self, conn: _Connection) -> None:
        self._connections.pop(conn, None)

    def _count_busy(self, delta: int) -> None:
        with self._idle:
            self._busy += delta
            if self._busy == 0:
                self._idle.notify_all()

    # -- running -----------------------------------------------------------------------------

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until :meth:`shutdown` (or a signal via :func:`serve_until_signalled`).
        ``poll_interval`` is accepted for :mod:`socketserver` compatibility and unused."""
        del poll_interval
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve(loop))
        finally:
            with self._state:
                self._loop = None
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
                self._stopped.set()

    async def _serve(self, loop: asyncio.AbstractEventLoop) -> None:
        stop = asyncio.Event()
        self._stop_event = stop
        server = await loop.create_server(
            lambda: _Connection(self), sock=self.socket, backlog=self.request_queue_size
        )
        with self._state:
            self._loop = loop
            if self._stop_grace is not None:
                stop.set()
        await stop.wait()
        grace = self._stop_grace or 0.0
        self._stopping = True
        server.close()
        for conn in list(self._connections):
            conn.close_if_idle()
        deadline = loop.time() + grace
        while self._busy and loop.time() < deadline:
            await asyncio.sleep(0.02)
        self.drained = self._busy == 0
        for conn in list(self._connections):
            conn.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=1.0)
        closer = getattr(self.app, "aclose", None)
        if closer is not None:
            await closer()
        await asyncio.sleep(0)  # let the transports finish closing

    def _request_stop(self, grace: float) -> None:
        """Ask the loop to stop after ``grace`` seconds for in-flight requests (any thread,
        or a signal handler); before the loop runs, it stops as soon as it starts."""
        with self._state:
            if self._stop_grace is None:
                self._stop_grace = grace
            loop, event = self._loop, self._stop_event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(event.set)

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` now (in-flight requests are cut) and wait for it."""
        with self._state:
            started = self._loop is not None
        self._request_stop(0.0)
        if started:
            self._stopped.wait()

    def server_close(self) -> None:
        """Close the listening socket (if :meth:`serve_forever` has not already)."""
        self.socket.close()

    def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for in-flight requests; True if none are left."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)


def make_server(
    app: App,
    host: str = "0.0.0.0",
    port: int = 0,
    *,
    name: str = "service",
    max_body: int = DEFAULT_MAX_BODY,
    quiet: bool = False,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> ServiceServer:
    """Bind a :class:`ServiceServer` for ``app`` (port 0 picks a free port); not started."""
    return ServiceServer(
        (host, port),
        app,
        name=name,
        max_body=max_body,
        quiet=quiet,
        request_timeout=request_timeout,
        keepalive_timeout=keepalive_timeout,
        max_connections=max_connections,
    )


def serve_until_signalled(server: ServiceServer, *, grace: float = 5.0) -> bool:
    """Serve until SIGTERM or SIGINT, then stop accepting, close idle connections, wait up
    to ``grace`` seconds for in-flight requests and close. Must run in the main thread.
    True if all requests finished."""

    signalled: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        signalled.append(signum)
        server._request_stop(grace)

    previous: dict[int, Any] = {
        sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        server.serve_forever()
    finally:
        if not signalled:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        elif hasattr(signal, "pthread_sigmask"):
            # Stopping on a signal: a repeated SIGTERM (systemd, a test harness) must not kill
            # the process while it exits with its status, and Python puts the default
            # handlers back when it finalizes. Blocked, the signal just stays pending.
            signal.pthread_sigmask(signal.SIG_BLOCK, set(previous))
        server.server_close()
    return server.drained
