"""FastApiApp under mocks: every field of the lab (docs/labs/kubernetes.md), on both stacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.errors import ConfigError
from tests.harness import Recording
from tests.kubernetes.k8s_support import run_k8s_stack

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n"


def workload_config(tmp_path: Path, **workload: Any) -> dict[str, Any]:
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    workload.setdefault("image", "registry.test/fastapi-app:1.0")
    return {"cloudlab:kubeconfigPath": str(path), "cloudlab:workload": workload}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    return run_k8s_stack("kubernetes_workload", workload_config(tmp_path_factory.mktemp("kc")))


def pod_spec(rec: Recording) -> dict[str, Any]:
    return rec.named("fastapi-app-deployment").inputs["spec"]["template"]["spec"]


def container(rec: Recording) -> dict[str, Any]:
    (only,) = pod_spec(rec)["containers"]
    return only


class TestDeployment:
    def test_one_deployment_two_services(self, app: Recording) -> None:
        assert app.types()[DEPLOYMENT] == 1
        assert app.types()[SERVICE] == 2

    def test_name_replicas_and_selector(self, app: Recording) -> None:
        deployment = app.named("fastapi-app-deployment").inputs
        assert deployment["metadata"]["name"] == "fastapi-app"
        assert deployment["metadata"]["namespace"] == "default"
        assert deployment["spec"]["replicas"] == 3
        labels = deployment["spec"]["selector"]["matchLabels"]
        assert labels == {"app": "fastapi-app"}
        assert deployment["spec"]["template"]["metadata"]["labels"] == labels

    def test_the_stack_wins_over_other_field_managers(self, app: Recording) -> None:
        """Out-of-band scaling is drift the next up repairs (proven against a real API server
        in tests/localcloud/test_k8s_workload_stack.py)."""
        metadata = app.named("fastapi-app-deployment").inputs["metadata"]
        assert metadata["annotations"] == {"pulumi.com/patchForce": "true"}

    def test_container_image_and_port_5000(self, app: Recording) -> None:
        c = container(app)
        assert c["name"] == "fastapi-app"
        assert c["image"] == "registry.test/fastapi-app:1.0"
        assert c["ports"] == [{"name": "http", "containerPort": 5000, "protocol": "TCP"}]

    @pytest.mark.parametrize("probe", ["readinessProbe", "livenessProbe"])
    def test_probes_hit_the_app(self, app: Recording, probe: str) -> None:
        p = container(app)[probe]
        assert p["httpGet"] == {"path": "/", "port": "http"}
        assert p["periodSeconds"] > 0 and p["timeoutSeconds"] > 0 and p["failureThreshold"] > 0

    def test_liveness_waits_longer_than_readiness(self, app: Recording) -> None:
        c = container(app)
        assert (
            c["livenessProbe"]["initialDelaySeconds"] > c["readinessProbe"]["initialDelaySeconds"]
        )

    def test_requests_and_limits(self, app: Recording) -> None:
        assert container(app)["resources"] == {
            "requests": {"cpu": "100m", "memory": "64Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        }

    def test_node_affinity_pins_one_worker(self, app: Recording) -> None:
        required = pod_spec(app)["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]
        assert required == {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["worker1"]}
                    ]
                }
            ]
        }


class TestServices:
    def test_cluster_ip_service(self, app: Recording) -> None:
        svc = app.named("fastapi-app-clusterip").inputs
        assert svc["metadata"]["name"] == "fastapi-app-clusterip-service"
        assert svc["spec"]["type"] == "ClusterIP"
        assert svc["spec"]["selector"] == {"app": "fastapi-app"}
        assert svc["spec"]["ports"] == [
            {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 5000}
        ]

    def test_node_port_service(self, app: Recording) -> None:
        svc = app.named("fastapi-app-nodeport").inputs
        assert svc["metadata"]["name"] == "fastapi-app-service"
        assert svc["spec"]["type"] == "NodePort"
        assert svc["spec"]["selector"] == {"app": "fastapi-app"}
        assert svc["spec"]["ports"] == [
            {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 5000, "nodePort": 31114}
        ]


class TestConfigurable:
    def test_node_port_placement_and_sizes(self, tmp_path: Path) -> None:
        rec = run_k8s_stack(
            "kubernetes_workload",
            workload_config(
                tmp_path,
                nodePort=30080,
                placement="worker2",
                replicas=5,
                namespace="edge",
                resources={"cpuLimit": "1", "memoryLimit": "1Gi"},
            ),
        )
        node_port = rec.named("fastapi-app-nodeport").inputs["spec"]["ports"][0]
        assert node_port["nodePort"] == 30080
        terms = pod_spec(rec)["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]["nodeSelectorTerms"]
        assert terms[0]["matchExpressions"][0]["values"] == ["worker2"]
        deployment = rec.named("fastapi-app-deployment").inputs
        assert deployment["spec"]["replicas"] == 5
        assert {r.inputs["metadata"]["namespace"] for r in rec.of_type(SERVICE)} == {"edge"}
        assert container(rec)["resources"]["limits"] == {"cpu": "1", "memory": "1Gi"}
        assert container(rec)["resources"]["requests"] == {"cpu": "100m", "memory": "64Mi"}
        assert rec.exports["placement"] == "worker2"

    def test_every_resource_uses_the_configured_provider(self, app: Recording) -> None:
        provider = app.named("k8s-provider")
        assert provider.inputs["kubeconfig"] == {
            SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270",
            "value": KUBECONFIG,
        }
        for resource in app:
            if resource.typ.startswith("kubernetes:"):
                assert resource.parent_type == "cloudlab:kubernetes:FastApiApp"
                assert app.providers[resource.name].startswith(provider.urn + "::")  # type: ignore[attr-defined]


class TestKubeconfigSources:
    def test_inline_secret_kubeconfig(self) -> None:
        rec = run_k8s_stack(
            "kubernetes_workload",
            {
                "cloudlab:kubeconfig": KUBECONFIG,
                "cloudlab:workload": {"image": "registry.test/app:1"},
            },
        )
        assert rec.named("k8s-provider").inputs["kubeconfig"]["value"] == KUBECONFIG

    def test_both_sources_refused(self, tmp_path: Path) -> None:
        cfg = workload_config(tmp_path)
        cfg["cloudlab:kubeconfig"] = KUBECONFIG
        recording = Recording()
        with pytest.raises(ConfigError, match="exactly one"):
            run_k8s_stack("kubernetes_workload", cfg, recording)
        assert recording.resources == []

    def test_no_source_refused(self) -> None:
        with pytest.raises(ConfigError, match="exactly one"):
            run_k8s_stack("kubernetes_workload", {"cloudlab:workload": {"image": "a/b:1"}})

    def test_unreadable_path_refused(self, tmp_path: Path) -> None:
        cfg = workload_config(tmp_path)
        cfg["cloudlab:kubeconfigPath"] = str(tmp_path / "missing")
        with pytest.raises(ConfigError, match="kubeconfigPath: cannot read"):
            run_k8s_stack("kubernetes_workload", cfg)
