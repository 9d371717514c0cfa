"""The calculator service: parses an infix expression and has the operand services compute it.

Every binary operation is one ``POST`` to the matching operand service (``+`` sum, ``-`` sub,
``*`` mul, ``/`` div) with the body ``"a b"`` (operands printed the JavaScript way), one
after the other, left to right. The reply is ``result = <n>``. A malformed expression is a
400 that points at the position; an operand service that cannot be reached, times out, or
answers anything but a 200 with a number is a 502 naming the service and its URL.

Proxies from the environment (``http_proxy``...) are ignored on purpose: the operand services
live on the lab's private network or on localhost, never behind the campus proxy.
"""

from __future__ import annotations

import http.client
import itertools
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from services.expression import ExpressionError, evaluate, parse
from services.httpd import App, Reply
from services.jsnumber import format_number, parse_number
from services.operand import OPERAND_SERVICES

__all__ = [
    "DEFAULT_TIMEOUT",
    "SERVICE_FOR_OPERATOR",
    "OperandClient",
    "OperandServiceError",
    "calculator_app",
    "check_url",
]

DEFAULT_TIMEOUT = 5.0
SERVICE_FOR_OPERATOR = {"+": "sum", "-": "sub", "*": "mul", "/": "div"}
_MAX_REPLY = 4096


class OperandServiceError(Exception):
    """An operand service failed; the message names the service and its URL."""

    def __init__(self, service: str, url: str, reason: str) -> None:
        super().__init__(f"{service} service at {url}: {reason}")
        self.service = service
        self.url = url
        self.reason = reason


def check_url(url: str) -> str:
    """Return ``url`` if it is an ``http://`` or ``https://`` URL with a host, else raise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http:// URL: {url!r}")
    return url


def _describe(error: BaseException, timeout: float) -> str:
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
        return _describe(error.reason, timeout)
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve host ({error.strerror})"
    if isinstance(error, http.client.HTTPException):
        return f"invalid HTTP reply ({type(error).__name__})"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


class OperandClient:
    """Calls the operand services over HTTP; usable as the ``apply`` of
    :func:`services.expression.evaluate`."""

    def __init__(
        self, urls: Mapping[str, str | Sequence[str]], timeout: float = DEFAULT_TIMEOUT
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
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._turns = {name: itertools.cycle(found) for name, found in self.replicas.items()}
        self._lock = threading.Lock()

    def next_url(self, service: str) -> str:
        """The URL of the replica whose turn it is (thread-safe round robin)."""
        with self._lock:
            return next(self._turns[service])

    def __call__(self, op: str, a: float, b: float) -> float:
        return self.call(SERVICE_FOR_OPERATOR[op], a, b)

    def call(self, service: str, a: float, b: float) -> float:
        """POST ``"a b"`` to ``service`` and return the number it replies."""
        url = self.next_url(service)
        body = f"{format_number(a)} {format_number(b)}".encode()
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                raw = response.read(_MAX_REPLY + 1)
        except urllib.error.HTTPError as exc:
            detail = exc.read(200).decode("utf-8", "replace").strip()
            exc.close()
            reason = f"HTTP {exc.code}" + (f": {detail}" if detail else "")
            raise OperandServiceError(service, url, reason) from None
        except (OSError, http.client.HTTPException) as exc:
            raise OperandServiceError(service, url, _describe(exc, self.timeout)) from None
        text = raw.decode("utf-8", "replace").strip()
        if status != 200:
            raise OperandServiceError(service, url, f"HTTP {status}")
        try:
            return parse_number(text)
        except ValueError:
            shown = text if len(text) <= 60 else text[:60] + "..."
            raise OperandServiceError(service, url, f"unexpected reply {shown!r}") from None


def calculator_app(
    urls: Mapping[str, str | Sequence[str]], timeout: float = DEFAULT_TIMEOUT
) -> App:
    """The request handler of the calculator, given the four operand service URLs."""
    client = OperandClient(urls, timeout)

    def app(body: str) -> Reply:
        try:
            tree = parse(body)
        except ExpressionError as exc:
            return Reply(400, f"invalid expression: {exc.describe()}")
        try:
            value = evaluate(tree, client)
        except OperandServiceError as exc:
            return Reply(502, str(exc))
        return Reply(200, f"result = {format_number(value)}")

    return app
