"""The three Node objects kwok plays, and the checks that they are usable.

They mirror the lab's kubeadm cluster: ``master`` carries the labels and the NoSchedule taint
kubeadm puts on a control-plane node, the workers only the usual kubelet labels. The capacity is
that of a small lab VM, so requests and limits are scheduled against something realistic.
"""

from __future__ import annotations

from typing import Any

from localcloud.k8s.layout import CONTROL_PLANE_NODE

CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
CAPACITY = {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "40Gi"}


def manifest(name: str) -> dict[str, Any]:
    """The Node as a kubelet on a kubeadm cluster would register it."""
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
    }
    spec: dict[str, Any] = {}
    if name == CONTROL_PLANE_NODE:
        labels["node-role.kubernetes.io/control-plane"] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
        spec["taints"] = [dict(CONTROL_PLANE_TAINT)]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            # Says "fake node" to anyone listing them; kwok itself manages every node.
            "annotations": {"kwok.x-k8s.io/node": "fake"},
        },
        "spec": spec,
        "status": {"capacity": dict(CAPACITY), "allocatable": dict(CAPACITY)},
    }


def is_ready(node: dict[str, Any]) -> bool:
    conditions = node.get("status", {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def taints(node: dict[str, Any]) -> list[dict[str, Any]]:
    return node.get("spec", {}).get("taints") or []


def settled(node: dict[str, Any]) -> bool:
    """Ready, and tainted exactly as intended: the lifecycle controller's not-ready taints gone."""
    if not is_ready(node):
        return False
    keys = {t.get("key") for t in taints(node)}
    if node["metadata"]["name"] == CONTROL_PLANE_NODE:
        return keys == {CONTROL_PLANE_TAINT["key"]}
    return not keys


def describe(node: dict[str, Any]) -> str:
    """One line for `status`: name, readiness, taints."""
    marks = ",".join(f"{t.get('key')}:{t.get('effect')}" for t in taints(node)) or "-"
    state = "Ready" if is_ready(node) else "NotReady"
    return f"{node['metadata']['name']:<8} {state:<8} taints={marks}"
