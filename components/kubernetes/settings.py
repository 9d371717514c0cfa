"""Settings of the Kubernetes building blocks: the ``cloudlab:workload`` model (the FastAPI app).

:func:`parse_workload_settings` reads it, or raises :class:`ConfigError` naming the offending
key, before any resource is registered. Defaults are the lab's values (see
``docs/labs/kubernetes.md``). The cluster that runs it is another package's concern
(:mod:`components.kubeadm.settings` for the kubeadm lab on OpenStack).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import model_validator

from components.settings import (
    ConfigModel,
    Int,
    Text,
    check_text,
    field_type,
    invalid,
    load_settings,
    required,
)

WORKLOAD_KEY = "cloudlab:workload"
NODE_PORT_RANGE = (30000, 32767)
"""The API server's default ``--service-node-port-range``."""
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
_QUANTITY_CPU = re.compile(r"^(\d+m|\d+(\.\d+)?)$")
_QUANTITY_MEM = re.compile(r"^\d+(Ki|Mi|Gi|K|M|G)?$")


def _quantity(pattern: re.Pattern[str], valid: str) -> Any:
    # A number is its text: `pulumi config set --path ...cpuLimit 1` writes 1.
    return field_type(f"quantity ({valid})", lambda v: check_text(str(v), pattern, valid))


CpuQuantity = _quantity(_QUANTITY_CPU, "e.g. 250m or 1")
MemoryQuantity = _quantity(_QUANTITY_MEM, "e.g. 128Mi or 1Gi")


class Resources(ConfigModel):
    """Requests and limits of the app's container (``cloudlab:workload.resources``)."""

    cpu_request: CpuQuantity = "100m"
    """CPU request of the container."""
    memory_request: MemoryQuantity = "64Mi"
    """Memory request of the container."""
    cpu_limit: CpuQuantity = "500m"
    """CPU limit of the container."""
    memory_limit: MemoryQuantity = "256Mi"
    """Memory limit of the container."""


def _probe_path(value: Any) -> str:
    path = check_text(value)
    if not path.startswith("/"):
        raise invalid(f"{path!r} is not an absolute path", "e.g. /")
    return path


class WorkloadSettings(ConfigModel):
    """The FastAPI workload (``cloudlab:workload``). Defaults are the lab's values."""

    image: Text() = required(
        "e.g. docker.io/<you>/fastapi-app:1.0, built and pushed from apps/fastapi-app",
        "required: the image built from apps/fastapi-app",
    )
    """Image built from ``apps/fastapi-app`` and pushed where the nodes can pull it
    (required)."""
    app_name: Text(DNS_LABEL, "a DNS label") = "fastapi-app"
    """Name of the Deployment; the Services are ``<app>-clusterip-service``, ``<app>-service``."""
    namespace: Text(DNS_LABEL, "a DNS label") = "default"
    """Namespace of the Deployment and the Services."""
    replicas: Int(1, 100, "a number of pods") = 3
    """Pods of the Deployment."""
    container_port: Int(1, 65535, "a port") = 5000
    """Port the app listens on."""
    service_port: Int(1, 65535, "a port") = 80
    """Port of both Services."""
    node_port: Int(*NODE_PORT_RANGE, "a node port") = 31114
    """Node port of ``fastapi-app-service`` (the lab got 31114)."""
    placement: Text(DNS_LABEL, "a node name") = "worker1"
    """The worker the pods run on (the edge scenario moves them)."""
    probe_path: field_type("absolute HTTP path", _probe_path) = "/"
    """HTTP path of the readiness and liveness probes."""
    resources: Resources = Resources()
    """Requests and limits of the container."""

    @model_validator(mode="before")
    @classmethod
    def _null_resources_are_the_defaults(cls, raw: Any) -> Any:
        if isinstance(raw, Mapping) and raw.get("resources", {}) is None:
            return {k: v for k, v in raw.items() if k != "resources"}
        return raw


def parse_workload_settings(raw: Mapping[str, Any] | None) -> WorkloadSettings:
    """Validate the raw ``cloudlab:workload`` object; ``image`` is the only required key."""
    return load_settings(WorkloadSettings, raw, WORKLOAD_KEY)
