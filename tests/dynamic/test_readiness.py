"""The readiness gate: bounded polling of /readyz and the node list, and the ApiReady resource's
provider over mutual TLS."""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pulumi.output import Unknown
from pulumi.runtime import rpc

from components.dynamic.readiness import (
    ApiReadyArgs,
    ApiReadyProvider,
    NotReadyError,
    http_getter,
    ready_nodes,
    wait_until_ready,
)
from tests.dynamic.api_server import certificate, make_pki, node_list, pem, serve_api


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


# --- the ApiReady resource's provider, against a fake API server over mutual TLS -------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def tls_api_server(pki: dict[str, str]) -> Iterator[tuple[str, dict[str, int]]]:
    with serve_api(pki) as served:
        yield served


def gate_props(url: str, pki: dict[str, str], **changes: Any) -> dict[str, Any]:
    args = ApiReadyArgs(
        server=url,
        nodes=["master", "worker1"],
        ca_cert_pem=pki["ca_cert_pem"],
        client_cert_pem=pki["client_cert_pem"],
        client_key_pem=pki["client_key_pem"],
        timeout=10.0,
        interval=0.05,
        triggers=["master-id"],
    )
    return {**args.to_props(), **changes}


def test_create_waits_for_the_cluster_over_mutual_tls(
    tls_api_server: tuple[str, dict[str, int]], pki: dict[str, str]
) -> None:
    url, hits = tls_api_server
    provider = ApiReadyProvider()
    props = gate_props(url, pki)
    assert provider.check({}, props).failures == []
    result = provider.create(props)
    assert hits == {"/readyz": 2, "/api/v1/nodes": 2}
    assert result.id == url
    assert result.outs["nodes"] == ["master", "worker1"]
    outs = json.dumps(result.outs)
    assert "PRIVATE KEY" not in outs and "CERTIFICATE" not in outs


def test_create_fails_when_the_client_is_not_the_admin(
    tls_api_server: tuple[str, dict[str, int]], pki: dict[str, str]
) -> None:
    """The server refuses a client key of another CA: the gate proves it talks as the admin."""
    url, hits = tls_api_server
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    props = gate_props(
        url,
        pki,
        client_cert_pem=pem(certificate("stranger", stranger)),
        client_key_pem=pem(stranger),
        timeout=0.3,
    )
    with pytest.raises(NotReadyError, match="/readyz"):
        ApiReadyProvider().create(props)
    assert hits == {}


def test_create_leaves_no_key_on_disk(
    tls_api_server: tuple[str, dict[str, int]], pki: dict[str, str]
) -> None:
    before = set(Path(tempfile.gettempdir()).iterdir())
    url, _ = tls_api_server
    ApiReadyProvider().create(gate_props(url, pki))
    after = set(Path(tempfile.gettempdir()).iterdir())
    assert not [p for p in after - before if p.name.startswith("cloudlab-")]


def test_a_new_master_or_server_replaces_the_gate_a_new_timeout_does_not(
    pki: dict[str, str],
) -> None:
    provider = ApiReadyProvider()
    url = "https://203.0.113.1:6443"
    olds = {"input_hashes": provider.hashes(gate_props(url, pki))}
    same = provider.diff(url, olds, gate_props(url, pki))
    assert (same.changes, same.replaces) == (False, [])
    for key, value in (("triggers", ["other"]), ("server", "https://203.0.113.2:6443")):
        assert provider.diff(url, olds, gate_props(url, pki, **{key: value})).replaces == [key]
    for key, value in (("timeout", 30.0), ("client_cert_pem", "renewed")):
        diff = provider.diff(url, olds, gate_props(url, pki, **{key: value}))
        assert (diff.changes, diff.replaces) == (True, [])


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"server": "http://203.0.113.1:6443"}, "server"),
        ({"nodes": []}, "nodes"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_check_names_a_bad_input(pki: dict[str, str], change: dict[str, Any], failing: str) -> None:
    props = gate_props("https://203.0.113.1:6443", pki, **change)
    assert [f.property for f in ApiReadyProvider().check({}, props).failures] == [failing]


def test_check_lets_an_unknown_server_through_at_preview(pki: dict[str, str]) -> None:
    """At preview the server (the master's floating IP) is unknown: the check must pass it, or
    the stack's preview fails (as it did on the real engine); a known bad one still fails."""
    for value in (Unknown(), rpc.UNKNOWN):  # as the SDK deserializes it, and on the wire
        unknown = gate_props("https://203.0.113.1:6443", pki, server=value)
        assert ApiReadyProvider().check({}, unknown).failures == []
    plain = gate_props("https://203.0.113.1:6443", pki, server="http://203.0.113.1:6443")
    assert [f.property for f in ApiReadyProvider().check({}, plain).failures] == ["server"]
