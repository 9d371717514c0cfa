"""The HTTP layer every service shares: ``POST /`` with a plain-text body in, plain text out.

A service is an :data:`App`, a function from the request body (decoded UTF-8 text) to a
:class:`Reply`. This module does everything else: method and path checks, body limits
(``Content-Length`` or chunked), decoding, CRLF-terminated ``text/plain`` replies, access
logging, and a graceful stop on SIGTERM/SIGINT. Every reply closes its connection, so an
idle client can never hold up a shutdown.

Status codes: 404 for a path other than ``/``, 405 for a method other than POST, 411 when
neither ``Content-Length`` nor chunked encoding says how long the body is, 400 for an invalid
``Content-Length``/chunk framing/non-UTF-8 body, 413 for a body over the limit, 500 if the
app itself crashes (the server carries on).
"""

from __future__ import annotations

import re
import signal
import socket
import socketserver
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_MAX_BODY",
    "DEFAULT_REQUEST_TIMEOUT",
    "App",
    "Reply",
    "ServiceServer",
    "make_server",
    "serve_until_signalled",
]

DEFAULT_MAX_BODY = 4096
DEFAULT_REQUEST_TIMEOUT = 10.0

_DIGITS = re.compile(r"[0-9]+")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}")
_MAX_TRAILER_LINES = 64


@dataclass(frozen=True)
class Reply:
    """A reply: status code and text (the CRLF line ending is added when sent)."""

    status: int
    text: str


App = Callable[[str], Reply]


class _RequestError(Exception):
    """Raised while reading a request; becomes a plain-text error reply."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ServiceServer(ThreadingHTTPServer):
    """A threading HTTP server running one :data:`App`; counts in-flight requests so a
    shutdown can wait for them (see :meth:`drain`)."""

    daemon_threads = True
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
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self.name = name
        self.max_body = max_body
        self.quiet = quiet
        self.request_timeout = request_timeout
        self._active = 0
        self._idle = threading.Condition()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without ``HTTPServer``'s reverse DNS lookup of the host."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    @property
    def url(self) -> str:
        """The base URL clients use (``http://host:port/``)."""
        host = self.server_name
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.server_port}/"

    def process_request_thread(self, request: socket.socket, client_address: object) -> None:
        with self._idle:
            self._active += 1
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for in-flight requests; True if none are left."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)

    def handle_error(self, request: object, client_address: object) -> None:
        """Log a failed connection in one line (client gone, reset...) and carry on."""
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            if not self.quiet:
                sys.stderr.write(f"{self.name}: {client_address}: connection error: {exc!r}\n")
        else:  # pragma: no cover - handler bugs are caught per request already
            sys.stderr.write(f"{self.name}: {client_address}: unexpected error\n")
            traceback.print_exc()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cloudlab-services"
    sys_version = ""
    server: ServiceServer

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        self.timeout = self.server.request_timeout
        super().setup()

    # -- replies ---------------------------------------------------------------------------

    def _send(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        # Every line ends in CRLF, as the original services' replies do (multi-line error
        # messages are built with "\n").
        lines = text.replace("\r\n", "\n").split("\n")
        body = "".join(line + "\r\n" for line in lines).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found by the base class (bad request line, too-long headers...) as text."""
        default = self.responses.get(code, ("error",))[0]
        self._send(code, message or default)

    def log_message(self, format: str, *args: object) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"{self.server.name}: {self.address_string()} {format % args}\n")

    # -- request handling ------------------------------------------------------------------

    def _path_ok(self) -> bool:
        if urlsplit(self.path).path == "/":
            return True
        self._send(404, f"not found: {self.path[:100]!r}; the only resource is POST /")
        return False

    def _not_allowed(self) -> None:
        if self._path_ok():
            self._send(
                405,
                f"method {self.command} not allowed: send POST / with a plain-text body",
                {"Allow": "POST"},
            )

    def __getattr__(self, name: str) -> Callable[[], None]:
        # The base class dispatches method M to ``do_M``: every method but POST gets a 405.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def do_POST(self) -> None:
        if not self._path_ok():
            return
        try:
            raw = self._read_body()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _RequestError(400, "the request body must be UTF-8 text") from exc
        except _RequestError as bad:
            self._send(bad.status, bad.message)
            return
        try:
            reply = self.server.app(text)
        except Exception:
            sys.stderr.write(f"{self.server.name}: internal error on {text[:200]!r}\n")
            traceback.print_exc()
            self._send(500, f"internal error in the {self.server.name} service")
            return
        self._send(reply.status, reply.text)

    def _read_body(self) -> bytes:
        limit = self.server.max_body
        encoding = self.headers.get("Transfer-Encoding")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise _RequestError(400, f"unsupported Transfer-Encoding: {encoding[:50]!r}")
            return self._read_chunked(limit)
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            raise _RequestError(411, "Content-Length required")
        value = lengths[0].strip()
        if len(set(lengths)) != 1 or not _DIGITS.fullmatch(value):
            raise _RequestError(400, f"invalid Content-Length: {', '.join(lengths)[:50]!r}")
        length = int(value) if len(value) <= 18 else limit + 1
        if length > limit:
            raise _RequestError(413, f"request body too large: {value} bytes, limit {limit}")
        data = self.rfile.read(length)
        if len(data) < length:
            raise _RequestError(400, f"incomplete body: got {len(data)} of {length} bytes")
        return data

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            size_text = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not _CHUNK_SIZE.fullmatch(size_text):
                raise _RequestError(400, "malformed chunked body")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > limit:
                raise _RequestError(413, f"request body too large: over {limit} bytes")
            chunk = self.rfile.read(size)
            if len(chunk) < size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _RequestError(400, "malformed chunked body")
            parts.append(chunk)
        for _ in range(_MAX_TRAILER_LINES):
            if self.rfile.readline(8192) in (b"\r\n", b"\n", b""):
                return b"".join(parts)
        raise _RequestError(400, "malformed chunked body: too many trailer lines")


def make_server(
    app: App,
    host: str = "0.0.0.0",
    port: int = 0,
    *,
    name: str = "service",
    max_body: int = DEFAULT_MAX_BODY,
    quiet: bool = False,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
) -> ServiceServer:
    """Bind a :class:`ServiceServer` for ``app`` (port 0 picks a free port); not started."""
    return ServiceServer(
        (host, port),
        app,
        name=name,
        max_body=max_body,
        quiet=quiet,
        request_timeout=request_timeout,
    )


def serve_until_signalled(server: ServiceServer, *, grace: float = 5.0) -> bool:
    """Serve until SIGTERM or SIGINT, then stop accepting, wait up to ``grace`` seconds for
    in-flight requests and close. Must run in the main thread. True if all requests finished."""
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        if not stopping.is_set():
            stopping.set()
            # shutdown() waits for serve_forever to return, so it cannot run in this thread.
            threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.server_close()
    return server.drain(grace)
