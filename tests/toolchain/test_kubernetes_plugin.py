"""The pulumi-resource-kubernetes plugin built by scripts/plugins/kubernetes.sh is the one we need.

It is built from a pre-release commit of the provider (the only one the Go module proxy serves),
so check what the project relies on against the real binary, over the plugin's own gRPC
protocol: it reports the version we install it as (set at link time), and its schema has the
Deployment, the Services and the provider inputs that components/kubernetes/workload.py and
stacks/kubernetes_workload.py use, with every input property they set.

FAILS (never skips) when the plugin has not been built: run `make toolchain`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2_grpc

from tests.engine.pulumi_project import plugin_bin, plugin_version
from tests.toolchain.plugin_grpc import package_schema, serve

pytestmark = pytest.mark.engine


# Schema token -> the input properties (camelCase, as in the schema) that the project sets on it.
USED_RESOURCES: dict[str, set[str]] = {
    "kubernetes:apps/v1:Deployment": {"metadata", "spec"},
    "kubernetes:core/v1:Service": {"metadata", "spec"},
}
USED_TYPES: dict[str, set[str]] = {
    "kubernetes:meta/v1:ObjectMeta": {"name", "namespace", "labels"},
    "kubernetes:meta/v1:LabelSelector": {"matchLabels"},
    "kubernetes:apps/v1:DeploymentSpec": {"replicas", "selector", "template"},
    "kubernetes:core/v1:PodTemplateSpec": {"metadata", "spec"},
    "kubernetes:core/v1:PodSpec": {"affinity", "containers"},
    "kubernetes:core/v1:Container": {
        "name",
        "image",
        "ports",
        "readinessProbe",
        "livenessProbe",
        "resources",
    },
    "kubernetes:core/v1:ContainerPort": {"name", "containerPort", "protocol"},
    "kubernetes:core/v1:Probe": {
        "httpGet",
        "initialDelaySeconds",
        "periodSeconds",
        "timeoutSeconds",
        "failureThreshold",
    },
    "kubernetes:core/v1:HTTPGetAction": {"path", "port"},
    "kubernetes:core/v1:ResourceRequirements": {"requests", "limits"},
    "kubernetes:core/v1:Affinity": {"nodeAffinity"},
    "kubernetes:core/v1:NodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution"},
    "kubernetes:core/v1:NodeSelector": {"nodeSelectorTerms"},
    "kubernetes:core/v1:NodeSelectorTerm": {"matchExpressions"},
    "kubernetes:core/v1:NodeSelectorRequirement": {"key", "operator", "values"},
    "kubernetes:core/v1:ServiceSpec": {"type", "selector", "ports"},
    "kubernetes:core/v1:ServicePort": {"name", "protocol", "port", "targetPort", "nodePort"},
}
USED_PROVIDER_INPUTS = {"kubeconfig", "context"}


@pytest.fixture(scope="module")
def stub() -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """A gRPC client of the built binary (from the toolchain driver's cache; fails without)."""
    with serve(plugin_bin("kubernetes")) as client:
        yield client


@pytest.fixture(scope="module")
def schema(stub: provider_pb2_grpc.ResourceProviderStub) -> dict[str, Any]:
    return package_schema(stub)


def test_plugin_reports_its_version(stub: provider_pb2_grpc.ResourceProviderStub) -> None:
    """The link-time version is what the engine records in state and matches plugin installs."""
    info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
    assert info.version == plugin_version("kubernetes") == "4.34.2"


def test_schema_is_the_kubernetes_package_at_that_version(schema: dict[str, Any]) -> None:
    assert schema["name"] == "kubernetes"
    assert schema["version"] == plugin_version("kubernetes")


@pytest.mark.parametrize("token", sorted(USED_RESOURCES))
def test_schema_has_the_resources_the_workload_creates(schema: dict[str, Any], token: str) -> None:
    resource = schema["resources"].get(token)
    assert resource is not None, f"{token} missing from the plugin's schema"
    missing = USED_RESOURCES[token] - set(resource.get("inputProperties", {}))
    assert not missing, f"{token} lacks input properties {sorted(missing)}"


@pytest.mark.parametrize("token", sorted(USED_TYPES))
def test_schema_has_the_types_the_workload_sets(schema: dict[str, Any], token: str) -> None:
    spec = schema["types"].get(token)
    assert spec is not None, f"type {token} missing from the plugin's schema"
    missing = USED_TYPES[token] - set(spec.get("properties", {}))
    assert not missing, f"{token} lacks properties {sorted(missing)}"


def test_deployment_spec_refers_to_the_checked_types(schema: dict[str, Any]) -> None:
    """The property names above are checked on the types the resources actually use."""
    deployment = schema["resources"]["kubernetes:apps/v1:Deployment"]["inputProperties"]
    service = schema["resources"]["kubernetes:core/v1:Service"]["inputProperties"]
    assert deployment["spec"]["$ref"] == "#/types/kubernetes:apps/v1:DeploymentSpec"
    assert service["spec"]["$ref"] == "#/types/kubernetes:core/v1:ServiceSpec"
    assert deployment["metadata"]["$ref"] == "#/types/kubernetes:meta/v1:ObjectMeta"


def test_provider_takes_the_inputs_the_stacks_give(schema: dict[str, Any]) -> None:
    missing = USED_PROVIDER_INPUTS - set(schema["provider"].get("inputProperties", {}))
    assert not missing, f"the kubernetes provider lacks inputs {sorted(missing)}"
