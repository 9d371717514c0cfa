"""The nodes' metadata guard, run for real: a "node" and a "pod" network namespace joined by a
veth pair named as Calico names a pod's (``cali...``), the metadata address on the node, and
the guard script exactly as the user data renders it, with the real ``iptables``.

Before the guard the pod reaches the metadata address (so the setup would show a leak); after
it, the pod does not, while it still reaches the node's other address; on the node, root still
does (cloud-init runs as root) and an unprivileged user does not. Run twice, the guard adds its
rules once. Traffic stays inside the two namespaces this test creates and deletes.
"""

from __future__ import annotations

import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from components.kubeadm.cloudinit import (
    METADATA_ADDRESS,
    METADATA_GUARD_SCRIPT,
    WorkerBootstrap,
    render_worker_user_data,
)

pytestmark = pytest.mark.netns

PORT = 8775
NODE_ADDRESS, POD_ADDRESS = "10.251.0.1", "10.251.0.2"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def sh(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)


def must(*argv: str) -> None:
    res = sh(*argv)
    if res.returncode != 0:
        pytest.fail(f"{' '.join(argv)}: {res.stderr.strip()}")


@dataclass
class Namespaces:
    node: str
    pod: str
    listener: subprocess.Popen

    def reaches(self, namespace: str, address: str, *, user: list[str] = ()) -> bool:
        probe = f"import socket; socket.create_connection(({address!r}, {PORT}), timeout=1)"
        res = sh("ip", "netns", "exec", namespace, *user, sys.executable, "-c", probe)
        return res.returncode == 0


@pytest.fixture
def namespaces() -> Iterator[Namespaces]:
    missing = [t for t in ("ip", "iptables", "setpriv") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"missing {missing}: apt-get install iproute2 iptables util-linux")
    suffix = secrets.token_hex(3)
    node, pod, veth = f"clk-node-{suffix}", f"clk-pod-{suffix}", f"cali{suffix}"
    created: list[str] = []
    listener = None
    try:
        for namespace in (node, pod):
            must("ip", "netns", "add", namespace)
            created.append(namespace)
            must("ip", "-n", namespace, "link", "set", "lo", "up")
        # The metadata service's address, local to the node (as a route to it would be).
        must("ip", "-n", node, "addr", "add", f"{METADATA_ADDRESS}/32", "dev", "lo")
        must("ip", "-n", node, "link", "add", veth, "type", "veth", "peer", "name", "eth0",
             "netns", pod)  # fmt: skip
        must("ip", "-n", node, "addr", "add", f"{NODE_ADDRESS}/24", "dev", veth)
        must("ip", "-n", node, "link", "set", veth, "up")
        must("ip", "-n", pod, "addr", "add", f"{POD_ADDRESS}/24", "dev", "eth0")
        must("ip", "-n", pod, "link", "set", "eth0", "up")
        must("ip", "-n", pod, "route", "add", "default", "via", NODE_ADDRESS)
        listener = subprocess.Popen(
            ["ip", "netns", "exec", node, sys.executable, "-m", "http.server",
             "--bind", "0.0.0.0", str(PORT)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        spaces = Namespaces(node, pod, listener)
        deadline = time.monotonic() + 10
        while not spaces.reaches(node, NODE_ADDRESS):
            if time.monotonic() > deadline:
                pytest.fail("the node's listener never answered")
            time.sleep(0.1)
        yield spaces
    finally:
        if listener is not None:
            listener.send_signal(signal.SIGTERM)
            try:
                listener.wait(5)
            except subprocess.TimeoutExpired:
                listener.kill()
                listener.wait(5)
        for namespace in created:
            sh("ip", "netns", "del", namespace)


@pytest.fixture
def guard(tmp_path: Path) -> Path:
    """The guard script from a worker's rendered user data (the master's is the same file)."""
    worker = WorkerBootstrap(
        node_name="worker1",
        kubernetes_version="1.28",
        master_ip="10.1.0.10",
        bootstrap_token="abcdef.0123456789abcdef",
        ca_cert_hash="sha256:" + "ab" * 32,
    )
    files = yaml.safe_load(render_worker_user_data(worker))["write_files"]
    (script,) = [f["content"] for f in files if f["path"] == METADATA_GUARD_SCRIPT]
    path = tmp_path / "guard.sh"
    path.write_text(script)
    return path


def test_pods_and_users_lose_the_metadata_service_root_keeps_it(
    namespaces: Namespaces, guard: Path
) -> None:
    node, pod = namespaces.node, namespaces.pod
    assert namespaces.reaches(pod, METADATA_ADDRESS), "without the guard the pod must reach it"
    assert namespaces.reaches(node, METADATA_ADDRESS, user=NOBODY)

    for _ in range(2):  # idempotent: every boot runs it
        must("ip", "netns", "exec", node, "sh", str(guard))

    assert not namespaces.reaches(pod, METADATA_ADDRESS)
    assert namespaces.reaches(pod, NODE_ADDRESS), "the pod keeps the rest of the node"
    assert namespaces.reaches(node, METADATA_ADDRESS), "root (cloud-init) keeps it"
    assert not namespaces.reaches(node, METADATA_ADDRESS, user=NOBODY)
    assert namespaces.reaches(node, NODE_ADDRESS, user=NOBODY)
    raw = sh("ip", "netns", "exec", node, "iptables", "-t", "raw", "-S", "PREROUTING").stdout
    assert raw.count(METADATA_ADDRESS) == 1, raw
    output = sh("ip", "netns", "exec", node, "iptables", "-S", "OUTPUT").stdout
    assert output.count(METADATA_ADDRESS) == 1, output
