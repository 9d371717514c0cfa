"""Helpers for the services tests: in-process servers and small HTTP clients."""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from services.httpd import App, ServiceServer, make_server


@contextmanager
def running(app: App, name: str = "test", **options: Any) -> Iterator[ServiceServer]:
    """Run ``app`` on 127.0.0.1:<free port> in a background thread for the block."""
    options.setdefault("quiet", True)
    server = make_server(app, "127.0.0.1", 0, name=name, **options)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def request(
    url: str,
    body: bytes | str | None = None,
    *,
    method: str = "POST",
    path: str = "/",
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> Response:
    """One HTTP request with http.client (Content-Length set from the body)."""
    parts = urlsplit(url)
    data = body.encode("utf-8") if isinstance(body, str) else body
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=headers or {})
        reply = conn.getresponse()
        return Response(reply.status, reply.headers, reply.read())
    finally:
        conn.close()


def raw_exchange(url: str, data: bytes, *, half_close: bool = False, timeout: float = 10) -> bytes:
    """Send raw bytes, read until the server closes the connection."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
