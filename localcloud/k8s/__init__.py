"""A real Kubernetes control plane on 127.0.0.1 for the Kubernetes lab's tests.

etcd, kube-apiserver, kube-controller-manager and kube-scheduler, built from Go modules by
scripts/k8s-build.sh, plus kwok playing the lab's nodes ``master``, ``worker1`` and ``worker2``
(pods are scheduled and run without a kubelet). The API refuses what Pulumi mocks accept, and the
scheduler really places pods, which is what the edge-migration scenario is about.

CLI: ``python -m localcloud.k8s up|down|status|env``. For tests::

    started = ensure_up()   # True if this call started it
    ...
    if started:
        down()
"""

from __future__ import annotations

from pathlib import Path

from localcloud.k8s.cluster import StartError, is_up, status_lines, up
from localcloud.k8s.cluster import down as _down
from localcloud.k8s.layout import API_URL, Layout

__all__ = ["API_URL", "StartError", "down", "ensure_up", "is_up", "kubeconfig_path", "status_lines"]


def ensure_up() -> bool:
    """Start the control plane if it is not up (building it if needed); True if it started it."""
    return up()


def down(purge: bool = False) -> list[str]:
    """Stop the control plane; with ``purge`` also delete its state (PKI, etcd data, logs)."""
    return _down(purge=purge)


def kubeconfig_path() -> Path:
    """The admin kubeconfig (``~/.cloudlab/k8s/kubeconfig`` unless CLOUDLAB_K8S_HOME is set)."""
    return Layout.default().kubeconfig
