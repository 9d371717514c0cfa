"""The local Kubernetes control plane (localcloud.k8s), checked through its own API.

These talk to real etcd/kube-apiserver/kube-controller-manager/kube-scheduler processes and kwok's
fake nodes via the official kubernetes client: no part of the API is mocked. The session fixture
``local_k8s`` starts the control plane when it is not running (building it on a fresh machine)
and stops it again only if it started it. If it cannot be started, every test here fails: a lab
whose Kubernetes checks silently skip would look green while proving nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

import localcloud.k8s as local_k8s_cluster

pytestmark = pytest.mark.k8s

T = TypeVar("T")
WORKERS = ("worker1", "worker2")


def wait_for(what: str, probe: Callable[[], T], done: Callable[[T], bool], timeout: float) -> T:
    """Poll ``probe`` until ``done`` holds; fail with the last value seen (for the diagnosis)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not reached within {timeout:.0f}s; last state: {value!r}")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def api_client(local_k8s: None) -> Iterator[client.ApiClient]:
    """An API client on the admin kubeconfig; ``local_k8s`` (tests/conftest.py) starts the
    control plane when needed and fails every test here when it cannot."""
    api = config.new_client_from_config(config_file=str(local_k8s_cluster.kubeconfig_path()))
    yield api
    api.close()


@pytest.fixture
def namespace(api_client: client.ApiClient) -> Iterator[str]:
    """A fresh namespace per test, deleted afterwards (the namespace controller empties it)."""
    core = client.CoreV1Api(api_client)
    name = f"cloudlab-test-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": name}})
    yield name
    core.delete_namespace(name)


def deployment(
    name: str,
    replicas: int,
    node: str,
    *,
    template_app: str | None = None,
    tolerations: list[dict] | None = None,
) -> dict:
    """A Deployment pinned to ``node`` by nodeSelector, as the lab's placement does it."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": template_app or name}},
                "spec": {
                    "nodeSelector": {"kubernetes.io/hostname": node},
                    "tolerations": tolerations or [],
                    "containers": [
                        {
                            "name": "app",
                            "image": "cloudlab/fastapi-app:latest",  # kwok pulls nothing
                            "ports": [{"containerPort": 5000}],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "64Mi"},
                                "limits": {"cpu": "250m", "memory": "128Mi"},
                            },
                        }
                    ],
                },
            },
        },
    }


def test_api_is_the_built_kubernetes_over_tls_on_loopback(api_client: client.ApiClient) -> None:
    assert api_client.configuration.host == "https://127.0.0.1:6443"
    assert api_client.configuration.verify_ssl
    version = client.VersionApi(api_client).get_code()
    assert version.git_version == "v1.37.2"


def test_three_nodes_master_tainted_workers_ready(api_client: client.ApiClient) -> None:
    nodes = {n.metadata.name: n for n in client.CoreV1Api(api_client).list_node().items}
    assert set(nodes) == {"master", *WORKERS}

    def ready(node: Any) -> bool:
        return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])

    assert all(ready(n) for n in nodes.values())
    for name in WORKERS:
        assert nodes[name].metadata.labels["kubernetes.io/hostname"] == name
        assert not nodes[name].spec.taints, f"{name} still tainted: {nodes[name].spec.taints}"
    master = nodes["master"]
    assert "node-role.kubernetes.io/control-plane" in master.metadata.labels
    assert [(t.key, t.effect) for t in master.spec.taints] == [
        ("node-role.kubernetes.io/control-plane", "NoSchedule")
    ]


def test_deployment_pinned_to_worker1_runs_all_replicas_there(
    api_client: client.ApiClient, namespace: str
) -> None:
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    apps.create_namespaced_deployment(namespace, deployment("pinned", 3, "worker1"))

    status = wait_for(
        "3 available replicas",
        lambda: apps.read_namespaced_deployment_status("pinned", namespace).status,
        lambda s: (s.available_replicas or 0) == 3,
        timeout=120,
    )
    assert status.ready_replicas == 3
    pods = core.list_namespaced_pod(namespace, label_selector="app=pinned").items
    assert len(pods) == 3
    assert {p.spec.node_name for p in pods} == {"worker1"}
    assert all(p.status.phase == "Running" for p in pods)


def test_master_taint_keeps_pods_off_unless_tolerated(
    api_client: client.ApiClient, namespace: str
) -> None:
    """The real scheduler honours kubeadm's control-plane taint (a mock would place the pod)."""
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    apps.create_namespaced_deployment(namespace, deployment("on-master", 1, "master"))
    toleration = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
    tolerant = deployment("tolerant", 1, "master", tolerations=[toleration])
    apps.create_namespaced_deployment(namespace, tolerant)

    def scheduled_condition() -> Any:
        pods = core.list_namespaced_pod(namespace, label_selector="app=on-master").items
        conds = [c for p in pods for c in (p.status.conditions or []) if c.type == "PodScheduled"]
        return conds[0] if conds else None

    cond = wait_for(
        "a PodScheduled verdict", scheduled_condition, lambda c: c is not None, timeout=60
    )
    assert (cond.status, cond.reason) == ("False", "Unschedulable")
    assert "untolerated taint" in cond.message
    # The same placement with the toleration runs there: it was the taint, not the selector.
    wait_for(
        "the tolerating pod available",
        lambda: apps.read_namespaced_deployment_status("tolerant", namespace).status,
        lambda s: (s.available_replicas or 0) == 1,
        timeout=60,
    )
    pods = core.list_namespaced_pod(namespace, label_selector="app=tolerant").items
    assert [p.spec.node_name for p in pods] == ["master"]


def test_deployment_whose_selector_misses_its_template_is_refused(
    api_client: client.ApiClient, namespace: str
) -> None:
    apps = client.AppsV1Api(api_client)
    bad = deployment("mismatch", 1, "worker1", template_app="something-else")

    with pytest.raises(ApiException) as refused:
        apps.create_namespaced_deployment(namespace, bad)

    assert refused.value.status == 422
    assert "selector" in refused.value.body and "does not match" in refused.value.body
    # Nothing was stored, and the API keeps serving.
    assert apps.list_namespaced_deployment(namespace).items == []
    assert {n.metadata.name for n in client.CoreV1Api(api_client).list_node().items} == {
        "master",
        *WORKERS,
    }
