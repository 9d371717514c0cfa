"""Small HTTP servers on 127.0.0.1 standing in for the app's NodePort on each worker."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class FakeWorker:
    """An app replica answering {"hello": "world"} after ``delay`` seconds."""

    delay: float = 0.0
    status: int = 200
    hits: int = 0
    server: ThreadingHTTPServer | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/"


def _start(worker: FakeWorker) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            worker.hits += 1
            time.sleep(worker.delay)
            body = json.dumps({"hello": "world"}).encode()
            try:
                self.send_response(worker.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    worker.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    worker.server.daemon_threads = True
    threading.Thread(
        target=worker.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()


@pytest.fixture
def fake_workers() -> Iterator[Callable[..., FakeWorker]]:
    """Factory of fake workers, all stopped at the end of the test."""
    started: list[FakeWorker] = []

    def make(delay: float = 0.0, status: int = 200) -> FakeWorker:
        worker = FakeWorker(delay=delay, status=status)
        _start(worker)
        started.append(worker)
        return worker

    yield make
    for worker in started:
        assert worker.server is not None
        worker.server.shutdown()
        worker.server.server_close()
