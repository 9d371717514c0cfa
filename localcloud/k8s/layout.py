"""Where the local control plane keeps its state, and the loopback ports it listens on.

Kept in one place so the PKI, the process launcher and the CLI agree on every path, and so a
second checkout (or a test) can move the whole thing with ``CLOUDLAB_K8S_HOME``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
# kube-apiserver keeps its usual port (kubectl users expect it); the others sit away from the
# defaults (2379/2380, 10257, 10259, 10247) so a real etcd or kubelet on this machine is not hit.
APISERVER_PORT = 6443
ETCD_CLIENT_PORT = 22379
ETCD_PEER_PORT = 22380
CONTROLLER_MANAGER_PORT = 20257
SCHEDULER_PORT = 20259
KWOK_PORT = 20247

SERVICE_CIDR = "10.96.0.0/12"
SERVICE_API_IP = "10.96.0.1"  # first address of SERVICE_CIDR: the `kubernetes` Service
POD_CIDR = "10.244.0.0/16"  # kwok hands out fake pod IPs from it; nothing routes to them

NODES = ("master", "worker1", "worker2")
CONTROL_PLANE_NODE = "master"


@dataclass(frozen=True)
class Layout:
    """Every path under the state directory (``~/.cloudlab/k8s`` unless overridden)."""

    home: Path

    @classmethod
    def default(cls) -> Layout:
        """The layout for this user, honouring ``CLOUDLAB_K8S_HOME``."""
        env = os.environ.get("CLOUDLAB_K8S_HOME")
        return cls(Path(env) if env else Path.home() / ".cloudlab" / "k8s")

    @property
    def pki(self) -> Path:
        return self.home / "pki"

    @property
    def etcd_data(self) -> Path:
        return self.home / "etcd-data"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def run(self) -> Path:
        return self.home / "run"

    @property
    def conf(self) -> Path:
        """Component kubeconfigs and kwok's stage configs."""
        return self.home / "conf"

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig handed to users and tests (never ``~/.kube/config``)."""
        return self.home / "kubeconfig"

    def log(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def pidfile(self, component: str) -> Path:
        return self.run / f"{component}.pid"

    def cert(self, name: str) -> Path:
        return self.pki / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.pki / f"{name}.key"


API_URL = f"https://{HOST}:{APISERVER_PORT}"
ETCD_URL = f"https://{HOST}:{ETCD_CLIENT_PORT}"
