"""Throughput of the calculator micro-services, all in-process on 127.0.0.1.

    python -m bench.bench_services [--requests 500] [--concurrency 8]

Reports requests per second for one operand service and for the calculator on ``(5+6)*2``
(two operand calls per request), sequential and with a thread pool of clients.
"""

from __future__ import annotations

import argparse
import http.client
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from bench.report import fragment
from services.calculator import calculator_app
from services.httpd import App, ServiceServer, make_server
from services.operand import OPERAND_SERVICES, operand_app


def start(app: App, name: str) -> ServiceServer:
    server = make_server(app, "127.0.0.1", 0, name=name, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def post(url: str, body: bytes) -> bytes:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("POST", "/", body=body)
        reply = conn.getresponse()
        data = reply.read()
        if reply.status != 200:
            raise RuntimeError(f"{url}: HTTP {reply.status}: {data!r}")
        return data
    finally:
        conn.close()


def measure(label: str, call: Callable[[], bytes], requests: int, concurrency: int) -> None:
    for workers in (1, concurrency):
        started = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            for _ in pool.map(lambda _: call(), range(requests)):
                pass
        elapsed = time.perf_counter() - started
        print(f"{label:<28} {workers:>3} clients  {requests / elapsed:8.0f} req/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    urls = {name: start(operand_app(name), name).url for name in OPERAND_SERVICES}
    calculator = start(calculator_app(urls), "calculator").url
    assert post(urls["sum"], b"5 6") == b"11\r\n"
    assert post(calculator, b"(5+6)*2") == b"result = 22\r\n"
    measure("sum '5 6'", lambda: post(urls["sum"], b"5 6"), args.requests, args.concurrency)
    measure(
        "calculator '(5+6)*2'",
        lambda: post(calculator, b"(5+6)*2"),
        args.requests,
        args.concurrency,
    )
    return 0


if __name__ == "__main__":
    with fragment("services", "The services in-process: requests per second"):
        sys.exit(main())
