"""``ApiReady``: a resource that exists once a Kubernetes API answers and every node is Ready.

The kubeadm cluster's readiness gate (:class:`components.kubeadm.cluster.KubeadmCluster`): it
sits between the VMs and the first Kubernetes resource, so the provider never races the nodes'
boot. Its ``create`` polls ``/readyz`` until it answers ``ok``, then ``/api/v1/nodes`` until
every named node is Ready, bounded by ``timeout``; past it, the create fails naming what was
still missing.

A dynamic provider, not a command: nothing in its inputs names an interpreter, a checkout or a
shell command, so the same stack previews with no change from any clone on any machine (the
provider is pickled by reference, as ``components.dynamic.readiness.ApiReadyProvider``: keep
that path importable). The CA certificate and the admin client certificate and key are inputs
(the key a secret, encrypted in the state); the outputs hold none of them, only their hashes.
The client key reaches OpenSSL through an anonymous memory file (``memfd``), never a file on
disk that a killed ``pulumi up`` would leave behind.

Semantics: a new ``server``, new ``nodes`` or new ``triggers`` (the master's id: a replaced
master is a new cluster) replace the gate, which waits again; a new timeout or renewed
certificates are an update that waits for nothing. The polling is pure (injected ``get``,
clock and sleep) and unit-tested.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import ssl
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi.dynamic as dyn

from components.dynamic.base import HashDiffProvider, input_hashes, is_known, to_props

Get = Callable[[str], tuple[int, bytes]]
"""GET a path of the API server: (HTTP status, body); raises OSError when unreachable."""


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


@contextmanager
def _pem_file(text: str) -> Iterator[str]:
    """A path OpenSSL can read ``text`` from: an anonymous memory file where the system has
    them (gone with the process, whatever kills it), else a 0600 temporary file."""
    if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
        fd = os.memfd_create("cloudlab-pem")
        try:
            os.write(fd, text.encode())
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    with tempfile.NamedTemporaryFile("w", prefix="cloudlab-pem-") as handle:
        handle.write(text)
        handle.flush()
        yield handle.name


def tls_context(ca_cert_pem: str, client_cert_pem: str, client_key_pem: str) -> ssl.SSLContext:
    """Verify the API server against the cluster CA; authenticate with the admin certificate."""
    context = ssl.create_default_context(cadata=ca_cert_pem)
    with _pem_file(client_cert_pem) as cert, _pem_file(client_key_pem) as key:
        context.load_cert_chain(cert, key)
    return context


@dataclasses.dataclass
class ApiReadyArgs:
    """Inputs of an :class:`ApiReady`."""

    server: pulumi.Input[str]
    """``https://address:6443``."""
    nodes: pulumi.Input[Sequence[str]]
    """Node names that must all be Ready."""
    ca_cert_pem: pulumi.Input[str]
    """The cluster CA: the API server's certificate must chain to it."""
    client_cert_pem: pulumi.Input[str]
    """The admin client certificate."""
    client_key_pem: pulumi.Input[str]
    """Its key (give it as a secret)."""
    tls_server_name: pulumi.Input[str] = "kubernetes"
    """The name the API server's certificate is verified under (``server`` is an address)."""
    timeout: pulumi.Input[float] = 1200.0
    """Seconds ``pulumi up`` waits in all."""
    interval: pulumi.Input[float] = 10.0
    """Seconds between two polls."""
    triggers: pulumi.Input[Sequence[Any]] = dataclasses.field(default_factory=list)
    """Any values; a change replaces the gate, which waits again."""

    def to_props(self) -> dict[str, Any]:
        return to_props(self)


INPUT_KEYS = (
    "server",
    "nodes",
    "ca_cert_pem",
    "client_cert_pem",
    "client_key_pem",
    "tls_server_name",
    "timeout",
    "interval",
    "triggers",
)
REPLACE_KEYS = ("server", "nodes", "triggers")
"""What makes another cluster (or another set of nodes): wait again."""
PLAIN_OUTPUTS = ("server", "nodes", "tls_server_name", "timeout", "interval", "triggers")
"""The inputs copied into the outputs: no certificate, no key."""


def wait_for(props: Mapping[str, Any]) -> None:
    """Wait until the cluster of ``props`` is ready, or raise :class:`NotReadyError`."""
    context = tls_context(props["ca_cert_pem"], props["client_cert_pem"], props["client_key_pem"])
    get = http_getter(
        str(props["server"]), context=context, tls_server_name=str(props["tls_server_name"])
    )
    wait_until_ready(
        get,
        [str(node) for node in props["nodes"]],
        timeout=float(props["timeout"]),
        interval=float(props["interval"]),
    )


def _outs(props: Mapping[str, Any]) -> dict[str, Any]:
    outs = {key: props.get(key) for key in PLAIN_OUTPUTS}
    outs["input_hashes"] = input_hashes(props, INPUT_KEYS)
    return outs


class ApiReadyProvider(HashDiffProvider):
    """Create waits; update and delete do nothing (the gate owns no object).

    The id is the server's URL: the same inputs give the same id, so a create interrupted
    before the engine's checkpoint is simply run again.
    """

    INPUT_KEYS = INPUT_KEYS
    REPLACE_KEYS = REPLACE_KEYS

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        failures = []
        server = news.get("server")
        # At preview the server is unknown until the master's floating IP exists: only a known
        # value is checked (the engine checks again with it before create).
        if is_known(server) and (not isinstance(server, str) or urlsplit(server).scheme != "https"):
            failures.append(dyn.CheckFailure("server", "an https:// URL of the API server"))
        nodes = news.get("nodes")
        if not isinstance(nodes, list) or not nodes or not all(isinstance(n, str) for n in nodes):
            failures.append(dyn.CheckFailure("nodes", "a non-empty list of node names"))
        for key in ("timeout", "interval"):
            value = news.get(key)
            if not isinstance(value, int | float) or value <= 0:
                failures.append(dyn.CheckFailure(key, "a positive number of seconds"))
        return dyn.CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        wait_for(props)
        return dyn.CreateResult(id_=str(props["server"]), outs=_outs(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        return dyn.UpdateResult(outs=_outs(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo: waiting made nothing."""


class ApiReady(dyn.Resource, module="cloudlab/kubernetes", name="ApiReady"):
    """Exists once the API answers and every node is Ready."""

    server: pulumi.Output[str]
    nodes: pulumi.Output[list[str]]

    def __init__(
        self, resource_name: str, args: ApiReadyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = args.to_props()
        props["input_hashes"] = None
        super().__init__(ApiReadyProvider(), resource_name, props, opts)
