"""Command lines of the five daemons, in start order.

Every listener is on 127.0.0.1 and every link is TLS with client certificates (see pki.py).
Flags that only matter because the "cluster" is one loopback machine are commented.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from localcloud.k8s import kubeconfig
from localcloud.k8s.layout import (
    APISERVER_PORT,
    CONTROLLER_MANAGER_PORT,
    ETCD_CLIENT_PORT,
    ETCD_PEER_PORT,
    ETCD_URL,
    HOST,
    KWOK_PORT,
    POD_CIDR,
    SCHEDULER_PORT,
    SERVICE_CIDR,
    Layout,
)

# kwok's stage configs (copied next to the binaries by scripts/k8s-build.sh): nodes become Ready
# and keep a lease; pods get scheduled -> running/ready, finish, and go away when deleted.
STAGES = (
    "node-initialize.yaml",
    "node-heartbeat-with-lease.yaml",
    "pod-ready.yaml",
    "pod-complete.yaml",
    "pod-delete.yaml",
)


@dataclass(frozen=True)
class Component:
    """A daemon: its name (log, PID file) and its full argv."""

    name: str
    argv: list[str]


def etcd(layout: Layout, bin_dir: Path) -> Component:
    peer = f"https://{HOST}:{ETCD_PEER_PORT}"
    return Component(
        "etcd",
        [
            str(bin_dir / "etcd"),
            "--name=cloudlab",
            f"--data-dir={layout.etcd_data}",
            f"--listen-client-urls={ETCD_URL}",
            f"--advertise-client-urls={ETCD_URL}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=cloudlab={peer}",
            "--initial-cluster-state=new",
            f"--cert-file={layout.cert('etcd')}",
            f"--key-file={layout.key('etcd')}",
            f"--trusted-ca-file={layout.cert('etcd-ca')}",
            "--client-cert-auth=true",
            f"--peer-cert-file={layout.cert('etcd')}",
            f"--peer-key-file={layout.key('etcd')}",
            f"--peer-trusted-ca-file={layout.cert('etcd-ca')}",
            "--peer-client-cert-auth=true",
            "--log-level=warn",
        ],
    )


def apiserver(layout: Layout, bin_dir: Path) -> Component:
    return Component(
        "kube-apiserver",
        [
            str(bin_dir / "kube-apiserver"),
            f"--etcd-servers=https://{HOST}:{ETCD_CLIENT_PORT}",
            f"--etcd-cafile={layout.cert('etcd-ca')}",
            f"--etcd-certfile={layout.cert('apiserver-etcd-client')}",
            f"--etcd-keyfile={layout.key('apiserver-etcd-client')}",
            f"--bind-address={HOST}",
            f"--advertise-address={HOST}",
            f"--secure-port={APISERVER_PORT}",
            # The endpoint reconciler refuses a loopback advertise address; nothing in the
            # cluster needs the `kubernetes` Service's endpoints (kwok pods make no calls).
            "--endpoint-reconciler-type=none",
            f"--tls-cert-file={layout.cert('apiserver')}",
            f"--tls-private-key-file={layout.key('apiserver')}",
            f"--client-ca-file={layout.cert('ca')}",
            "--authorization-mode=Node,RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={layout.pki / 'sa.pub'}",
            f"--service-account-signing-key-file={layout.key('sa')}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--allow-privileged=true",
            f"--cert-dir={layout.run / 'apiserver-certs'}",  # default is /var/run/kubernetes
            "--profiling=false",
        ],
    )


def controller_manager(layout: Layout, bin_dir: Path) -> Component:
    conf = kubeconfig.component_path(layout, "controller-manager")
    return Component(
        "kube-controller-manager",
        [
            str(bin_dir / "kube-controller-manager"),
            f"--kubeconfig={conf}",
            f"--authentication-kubeconfig={conf}",
            f"--authorization-kubeconfig={conf}",
            f"--bind-address={HOST}",
            f"--secure-port={CONTROLLER_MANAGER_PORT}",
            f"--cert-dir={layout.run / 'controller-manager-certs'}",
            f"--cluster-signing-cert-file={layout.cert('ca')}",
            f"--cluster-signing-key-file={layout.key('ca')}",
            f"--root-ca-file={layout.cert('ca')}",
            f"--service-account-private-key-file={layout.key('sa')}",
            "--use-service-account-credentials=true",
            "--cluster-name=cloudlab-local",
            "--leader-elect=false",  # one replica; saves a lease write every 2 s
            "--profiling=false",
        ],
    )


def scheduler(layout: Layout, bin_dir: Path) -> Component:
    conf = kubeconfig.component_path(layout, "scheduler")
    return Component(
        "kube-scheduler",
        [
            str(bin_dir / "kube-scheduler"),
            f"--kubeconfig={conf}",
            f"--authentication-kubeconfig={conf}",
            f"--authorization-kubeconfig={conf}",
            f"--bind-address={HOST}",
            f"--secure-port={SCHEDULER_PORT}",
            f"--cert-dir={layout.run / 'scheduler-certs'}",
            "--leader-elect=false",
            "--profiling=false",
        ],
    )


def kwok(layout: Layout, bin_dir: Path) -> Component:
    stages = bin_dir.parent / "stages"
    return Component(
        "kwok",
        [
            str(bin_dir / "kwok"),
            f"--kubeconfig={kubeconfig.component_path(layout, 'kwok')}",
            "--manage-all-nodes=true",
            *(f"--config={stages / s}" for s in STAGES),
            # Its server (logs/exec of fake pods) would default to 0.0.0.0.
            f"--server-address={HOST}:{KWOK_PORT}",
            f"--node-ip={HOST}",
            f"--cidr={POD_CIDR}",
            "--node-lease-duration-seconds=40",
        ],
    )


def all_components(layout: Layout, bin_dir: Path) -> list[Component]:
    """In start order; stop in reverse."""
    return [
        etcd(layout, bin_dir),
        apiserver(layout, bin_dir),
        controller_manager(layout, bin_dir),
        scheduler(layout, bin_dir),
        kwok(layout, bin_dir),
    ]


NAMES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
