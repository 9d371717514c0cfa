"""The readiness gate: bounded polling of /readyz and the node list."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from components.kubeadm.readiness import (
    NotReadyError,
    http_getter,
    ready_nodes,
    wait_until_ready,
)


def node_list(**ready: bool) -> bytes:
    return json.dumps(
        {
            "items": [
                {
                    "metadata": {"name": name},
                    "status": {
                        "conditions": [
                            {"type": "MemoryPressure", "status": "False"},
                            {"type": "Ready", "status": "True" if ok else "False"},
                        ]
                    },
                }
                for name, ok in ready.items()
            ]
        }
    ).encode()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_ready_nodes() -> None:
    assert ready_nodes(node_list(master=True, worker1=False, worker2=True)) == {"master", "worker2"}
    assert ready_nodes(b'{"items": []}') == set()


def test_waits_for_readyz_then_every_node() -> None:
    answers = iter(
        [
            OSError("connection refused"),
            (500, b"[-]etcd failed"),
            (200, b"ok"),
            (200, node_list(master=True)),
            (200, node_list(master=True, worker1=True, worker2=False)),
            (200, node_list(master=True, worker1=True, worker2=True)),
        ]
    )
    asked: list[str] = []

    def get(path: str) -> tuple[int, bytes]:
        asked.append(path)
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    clock = FakeClock()
    wait_until_ready(
        get,
        ["master", "worker1", "worker2"],
        timeout=60,
        interval=5,
        clock=clock,
        sleep=clock.sleep,
    )
    assert asked == ["/readyz"] * 3 + ["/api/v1/nodes"] * 3
    assert clock.sleeps == [5, 5, 5, 5]


def test_gives_up_after_the_timeout_naming_what_is_missing() -> None:
    clock = FakeClock()

    def get(path: str) -> tuple[int, bytes]:
        return (200, b"ok") if path == "/readyz" else (200, node_list(master=True, worker1=True))

    with pytest.raises(NotReadyError, match="worker2"):
        wait_until_ready(
            get,
            ["master", "worker1", "worker2"],
            timeout=30,
            interval=10,
            clock=clock,
            sleep=clock.sleep,
        )
    assert clock.now <= 30
    assert len(clock.sleeps) == 3


@pytest.fixture
def api_server() -> Iterator[tuple[str, dict[str, int]]]:
    """A fake API server on 127.0.0.1: /readyz fails twice, then every node is Ready."""
    hits: dict[str, int] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits[self.path] = hits.get(self.path, 0) + 1
            if self.path == "/readyz":
                status, body = (503, b"not yet") if hits[self.path] <= 2 else (200, b"ok")
            else:
                status, body = 200, node_list(master=True, worker1=True)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_polls_a_real_http_server(api_server: tuple[str, dict[str, int]]) -> None:
    url, hits = api_server
    wait_until_ready(http_getter(url), ["master", "worker1"], timeout=5, interval=0.01)
    assert hits == {"/readyz": 3, "/api/v1/nodes": 1}


def test_unreachable_server_times_out_quickly() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NotReadyError, match="/readyz"):
        wait_until_ready(
            http_getter(f"http://127.0.0.1:{port}", request_timeout=0.5),
            ["master"],
            timeout=0.3,
            interval=0.1,
        )
