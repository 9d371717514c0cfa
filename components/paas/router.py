"""The Cloud Foundry stand-in's router: one port that spreads requests round-robin over the app's
instances (the role of CF's Gorouter).

Runs inside the router container as ``python3 -c <this file's source> ALIAS PORT LISTEN``
(standard library only, Python 3.8+). The instances share the network alias ``ALIAS``; Docker's
DNS answers it with every running instance's address, so each request resolves it again and
takes the next address in turn: scaling out adds instances to the route without touching the
router, as CF's route registration does. An instance that refuses the connection (still
starting) is skipped for the next one; none left is a 502.
"""

from __future__ import annotations

import http.client
import itertools
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"}
_counter = itertools.count()
_lock = threading.Lock()


def backends(alias: str, port: int) -> list[str]:
    """Every address ``alias`` resolves to now, sorted (empty when none)."""
    try:
        infos = socket.getaddrinfo(alias, port, socket.AF_INET, socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({info[4][0] for info in infos})


def next_order(addresses: list[str]) -> list[str]:
    """``addresses`` rotated to start at the next one in turn."""
    if not addresses:
        return []
    with _lock:
        start = next(_counter) % len(addresses)
    return addresses[start:] + addresses[:start]


class Router(BaseHTTPRequestHandler):
    alias = "app"
    port = 8080
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        for address in next_order(backends(self.alias, self.port)):
            conn = http.client.HTTPConnection(address, self.port, timeout=30)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
            except OSError:
                continue  # refused or reset: an instance still starting, try the next one
            finally:
                conn.close()
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Cloudlab-Instance-Address", address)
            self.end_headers()
            self.wfile.write(data)
            return
        message = b"502 no instance of the app answers\n"
        self.send_response(502)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(message)))
        self.end_headers()
        self.wfile.write(message)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write("router: " + (format % args) + "\n")


def main(argv: list[str]) -> None:
    alias, port, listen = argv[0], int(argv[1]), int(argv[2])
    Router.alias, Router.port = alias, port
    server = ThreadingHTTPServer(("0.0.0.0", listen), Router)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
