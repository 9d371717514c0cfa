"""Readiness gate: wait until the API server answers and every node is Ready, bounded in time.

Run by the kubernetes stack (pulumi-command ``local.Command``) between the VMs and the first
Kubernetes resource, so the provider never races the nodes' boot::

    python -m components.kubeadm.readiness --server https://203.0.113.7:6443 \\
        --tls-server-name kubernetes --nodes master,worker1,worker2 --timeout 1200

The CA certificate and the admin client certificate and key come from the environment
(``CLOUDLAB_CA_PEM``, ``CLOUDLAB_CLIENT_CERT_PEM``, ``CLOUDLAB_CLIENT_KEY_PEM``), never the
command line. The polling logic is pure (injected ``get``, clock and sleep) and unit-tested.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shlex
import ssl
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

Get = Callable[[str], tuple[int, bytes]]
"""GET a path of the API server: (HTTP status, body); raises OSError when unreachable."""


def readiness_command(endpoint: str, tls_server_name: str, nodes: list[str], timeout: int) -> str:
    """The gate's shell command for ``endpoint`` (the certificates travel in its environment)."""
    return shlex.join(
        [
            sys.executable,
            "-m",
            "components.kubeadm.readiness",
            "--server",
            endpoint,
            "--tls-server-name",
            tls_server_name,
            "--nodes",
            ",".join(nodes),
            "--timeout",
            str(timeout),
        ]
    )


class NotReadyError(TimeoutError):
    """The cluster did not become ready within the timeout."""


def ready_nodes(nodes_json: bytes) -> set[str]:
    """Names of the nodes whose ``Ready`` condition is ``True`` in a NodeList."""
    ready = set()
    for item in json.loads(nodes_json).get("items", []):
        conditions = item.get("status", {}).get("conditions", [])
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            ready.add(item.get("metadata", {}).get("name", ""))
    return ready


def wait_until_ready(
    get: Get,
    nodes: Sequence[str],
    *,
    timeout: float,
    interval: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda _: None,
) -> None:
    """Poll ``/readyz`` until it answers ``ok``, then ``/api/v1/nodes`` until ``nodes`` are Ready.

    Raises :class:`NotReadyError` naming what was still missing once ``timeout`` seconds pass.
    """
    deadline = clock() + timeout
    waiting_for = "/readyz"
    while True:
        try:
            if waiting_for == "/readyz":
                status, body = get("/readyz")
                if status == 200 and body.strip() == b"ok":
                    log("API server ready")
                    waiting_for = "nodes"
                    continue
                last = f"/readyz answered {status}"
            else:
                status, body = get("/api/v1/nodes")
                if status == 200:
                    missing = sorted(set(nodes) - ready_nodes(body))
                    if not missing:
                        log(f"nodes ready: {', '.join(nodes)}")
                        return
                    last = f"nodes not Ready yet: {', '.join(missing)}"
                else:
                    last = f"/api/v1/nodes answered {status}"
        except (OSError, ValueError) as error:
            last = f"{waiting_for}: {error}"
        log(last)
        if clock() + interval > deadline:
            raise NotReadyError(f"cluster not ready after {timeout:.0f}s: {last}")
        sleep(interval)


class _PinnedNameConnection(http.client.HTTPSConnection):
    """HTTPS to an address, verifying the certificate under another name (the SAN)."""

    def __init__(
        self, host: str, port: int, *, server_name: str, context: ssl.SSLContext, timeout: float
    ) -> None:
        super().__init__(host, port, context=context, timeout=timeout)
        self._server_name = server_name
        self._ssl_context = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._ssl_context.wrap_socket(self.sock, server_hostname=self._server_name)


def http_getter(
    server: str,
    *,
    context: ssl.SSLContext | None = None,
    tls_server_name: str | None = None,
    request_timeout: float = 5.0,
) -> Get:
    """A :data:`Get` for ``server`` (``https://host:port`` or ``http://`` in tests)."""
    parts = urlsplit(server)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)

    def get(path: str) -> tuple[int, bytes]:
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = _PinnedNameConnection(
                host,
                port,
                server_name=tls_server_name or host,
                context=context or ssl.create_default_context(),
                timeout=request_timeout,
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=request_timeout)
        try:
            connection.request("GET", path, headers={"Accept": "application/json"})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    return get


def _tls_context(directory: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=os.environ["CLOUDLAB_CA_PEM"])
    cert, key = directory / "client.crt", directory / "client.key"
    for path, variable in ((cert, "CLOUDLAB_CLIENT_CERT_PEM"), (key, "CLOUDLAB_CLIENT_KEY_PEM")):
        path.touch(mode=0o600)
        path.write_text(os.environ[variable])
    context.load_cert_chain(cert, key)
    return context


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m components.kubeadm.readiness``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="https://address:6443")
    parser.add_argument("--tls-server-name", default="kubernetes")
    parser.add_argument("--nodes", required=True, help="comma-separated node names")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds in all")
    parser.add_argument("--interval", type=float, default=10.0)
    args = parser.parse_args(argv)
    nodes = [name for name in args.nodes.split(",") if name]
    with tempfile.TemporaryDirectory(prefix="cloudlab-readiness-") as directory:
        get = http_getter(
            args.server,
            context=_tls_context(Path(directory)),
            tls_server_name=args.tls_server_name,
        )
        try:
            wait_until_ready(
                get,
                nodes,
                timeout=args.timeout,
                interval=args.interval,
                log=lambda line: print(line, file=sys.stderr, flush=True),
            )
        except NotReadyError as error:
            print(error, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
