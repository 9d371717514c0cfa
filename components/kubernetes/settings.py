"""Settings of the Kubernetes lab (LABS.md section 3), parsed and validated.

Two config objects: ``cloudlab:kubernetes`` (the kubeadm cluster on OpenStack) and
``cloudlab:workload`` (the FastAPI app). :func:`parse_cluster_settings` and
:func:`parse_workload_settings` turn them into typed values or raise :class:`ConfigError`
naming the offending key, before any resource is registered. Defaults are the lab's values.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.errors import ConfigError
from components.validation import (
    cidr_list,
    int_in_range,
    ipv4_network,
    non_empty_string,
    object_with_keys,
)

CLUSTER_KEY = "cloudlab:kubernetes"
WORKLOAD_KEY = "cloudlab:workload"
ENCAPSULATIONS = ("IPIP", "VXLAN")
MAX_WORKERS = 20
NODE_PORT_RANGE = (30000, 32767)
_VERSION = re.compile(r"^1\.(\d{1,2})(?:\.(\d{1,3}))?$")
_CALICO_VERSION = re.compile(r"^v3\.\d{1,2}\.\d{1,3}$")
_TTL = re.compile(r"^(?:\d+h)?(?:\d+m)?(?:\d+s)?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_QUANTITY_CPU = re.compile(r"^(\d+m|\d+(\.\d+)?)$")
_QUANTITY_MEM = re.compile(r"^\d+(Ki|Mi|Gi|K|M|G)?$")


@dataclass(frozen=True)
class ClusterSettings:
    """The kubeadm cluster, validated. Defaults are the values the lab used."""

    network_cidr: str = "192.168.60.0/24"
    """The cluster's private network (the nodes' addresses)."""
    master_ip: str = "192.168.60.10"
    """Fixed address of the master (workers' join target); worker N gets the N-th next one."""
    external_network: str = "public"
    """External network of the router and of the master's floating IP."""
    image: str = "ubuntu_20"
    """Image of every node (Ubuntu 20.04 in the lab)."""
    flavor: str = "medium"
    """Flavor of every node; kubeadm needs at least 2 vCPUs and 2 GiB."""
    key_pair: str | None = None
    """Nova key pair injected into the nodes, if any."""
    workers: int = 2
    """Number of workers, named worker1, worker2, ..."""
    kubernetes_version: str = "1.28"
    """Kubernetes minor (``1.28``) or patch (``1.28.2``) version, from pkgs.k8s.io."""
    pod_cidr: str = "172.16.0.0/16"
    """Pod network (Calico's IP pool)."""
    service_cidr: str = "10.96.0.0/12"
    """ClusterIP range."""
    calico_version: str = "v3.26.4"
    """Calico release whose Tigera operator is applied at init."""
    encapsulation: str = "IPIP"
    """Calico encapsulation: ``IPIP`` (IP protocol 4, with BGP) or ``VXLAN`` (udp 4789)."""
    bootstrap_token_ttl: str = "24h0m0s"
    """Lifetime of the bootstrap token the workers join with."""
    api_allowed_cidrs: tuple[str, ...] = ()
    """Sources allowed to reach the API server (6443) through the floating IP."""
    node_port_allowed_cidrs: tuple[str, ...] = ()
    """Sources allowed to reach NodePorts 30000-32767; empty keeps them closed."""
    ssh_allowed_cidrs: tuple[str, ...] = ()
    """Sources allowed to SSH into the nodes; empty keeps SSH closed."""
    ready_timeout_seconds: int = 1200
    """How long ``pulumi up`` waits for the API and every node to be Ready before failing."""

    @property
    def worker_names(self) -> list[str]:
        """worker1 ... workerN."""
        return [f"worker{index}" for index in range(1, self.workers + 1)]

    @property
    def node_names(self) -> list[str]:
        """master, then the workers."""
        return ["master", *self.worker_names]

    @property
    def node_ips(self) -> dict[str, str]:
        """Fixed address of each node: the master's, then the next ones for the workers."""
        master = ipaddress.ip_address(self.master_ip)
        return {name: str(master + index) for index, name in enumerate(self.node_names)}

    @property
    def kubernetes_minor(self) -> str:
        """``1.28`` of ``1.28`` or ``1.28.2``: the pkgs.k8s.io repository."""
        return ".".join(self.kubernetes_version.split(".")[:2])


@dataclass(frozen=True)
class Resources:
    """Requests and limits of the app's container."""

    cpu_request: str = "100m"
    memory_request: str = "64Mi"
    cpu_limit: str = "500m"
    memory_limit: str = "256Mi"


@dataclass(frozen=True)
class WorkloadSettings:
    """The FastAPI workload, validated. Defaults are the lab's values."""

    image: str
    """Image built from ``apps/fastapi-app`` and pushed where the nodes can pull it."""
    app_name: str = "fastapi-app"
    """Name of the Deployment; the Services are ``<app>-clusterip-service``, ``<app>-service``."""
    namespace: str = "default"
    """Namespace of the Deployment and the Services."""
    replicas: int = 3
    """Pods of the Deployment."""
    container_port: int = 5000
    """Port the app listens on."""
    service_port: int = 80
    """Port of both Services."""
    node_port: int = 31114
    """Node port of ``fastapi-app-service`` (the lab got 31114)."""
    placement: str = "worker1"
    """The worker the pods run on (the edge scenario moves them)."""
    probe_path: str = "/"
    """HTTP path of the readiness and liveness probes."""
    resources: Resources = Resources()
    """Requests and limits of the container."""


_CLUSTER_KEYS: dict[str, str] = {
    "networkCidr": "network_cidr",
    "masterIp": "master_ip",
    "externalNetwork": "external_network",
    "image": "image",
    "flavor": "flavor",
    "keyPair": "key_pair",
    "workers": "workers",
    "kubernetesVersion": "kubernetes_version",
    "podCidr": "pod_cidr",
    "serviceCidr": "service_cidr",
    "calicoVersion": "calico_version",
    "encapsulation": "encapsulation",
    "bootstrapTokenTtl": "bootstrap_token_ttl",
    "apiAllowedCidrs": "api_allowed_cidrs",
    "nodePortAllowedCidrs": "node_port_allowed_cidrs",
    "sshAllowedCidrs": "ssh_allowed_cidrs",
    "readyTimeoutSeconds": "ready_timeout_seconds",
}
_WORKLOAD_KEYS = (
    "image",
    "appName",
    "namespace",
    "replicas",
    "containerPort",
    "servicePort",
    "nodePort",
    "placement",
    "probePath",
    "resources",
)
_RESOURCE_KEYS = {
    "cpuRequest": "cpu_request",
    "memoryRequest": "memory_request",
    "cpuLimit": "cpu_limit",
    "memoryLimit": "memory_limit",
}


def _cidrs(raw: Mapping[str, Any], name: str) -> tuple[str, ...]:
    # unique: each CIDR becomes a security-group rule, and Neutron refuses a duplicate.
    return cidr_list(raw.get(name, []), f"{CLUSTER_KEY}.{name}", unique=True)


def parse_cluster_settings(raw: Mapping[str, Any] | None) -> ClusterSettings:
    """Validate the raw ``cloudlab:kubernetes`` object; missing keys take the lab's values."""
    raw = object_with_keys({} if raw is None else raw, CLUSTER_KEY, _CLUSTER_KEYS)
    d = ClusterSettings()

    def key(name: str) -> str:
        return f"{CLUSTER_KEY}.{name}"

    network = ipv4_network(raw.get("networkCidr", d.network_cidr), key("networkCidr"))
    if network.prefixlen > 28:
        raise ConfigError(
            key("networkCidr"), f"{network} is too small", "a prefix of /28 or larger"
        )
    default_master = str(network[10]) if "networkCidr" in raw else d.master_ip
    master_raw = raw.get("masterIp", default_master)
    try:
        master = ipaddress.ip_address(str(master_raw).strip())
    except ValueError:
        raise ConfigError(key("masterIp"), f"{master_raw!r} is not an IPv4 address") from None
    workers = int_in_range(
        raw.get("workers", d.workers), key("workers"), 1, MAX_WORKERS, "a number"
    )
    # .1 is the router's, .2-.9 are left to DHCP/metadata ports; the workers follow the master.
    if master not in network or not network[10] <= master + workers <= network[-2]:
        raise ConfigError(
            key("masterIp"),
            f"{master} leaves no room in {network} for the master and {workers} workers",
            f"{network[10]} to {network[-2] - workers}",
        )
    pod = ipv4_network(raw.get("podCidr", d.pod_cidr), key("podCidr"))
    service = ipv4_network(raw.get("serviceCidr", d.service_cidr), key("serviceCidr"))
    for name, net in (("podCidr", pod), ("serviceCidr", service)):
        if net.overlaps(network):
            raise ConfigError(key(name), f"{net} overlaps networkCidr {network}", "disjoint ranges")
    if pod.overlaps(service):
        raise ConfigError(key("serviceCidr"), f"{service} overlaps podCidr {pod}", "disjoint")

    version = non_empty_string(
        raw.get("kubernetesVersion", d.kubernetes_version),
        key("kubernetesVersion"),
        _VERSION,
        "1.MINOR or 1.MINOR.PATCH, e.g. 1.28 or 1.28.2",
    )
    if int(_VERSION.match(version).group(1)) < 24:  # type: ignore[union-attr]
        raise ConfigError(key("kubernetesVersion"), f"{version} predates pkgs.k8s.io", ">= 1.24")
    encapsulation = raw.get("encapsulation", d.encapsulation)
    if encapsulation not in ENCAPSULATIONS:
        raise ConfigError(
            key("encapsulation"),
            f"unknown encapsulation {encapsulation!r}",
            " or ".join(ENCAPSULATIONS),
        )
    key_pair = raw.get("keyPair")
    return ClusterSettings(
        network_cidr=str(network),
        master_ip=str(master),
        external_network=non_empty_string(
            raw.get("externalNetwork", d.external_network), key("externalNetwork")
        ),
        image=non_empty_string(raw.get("image", d.image), key("image")),
        flavor=non_empty_string(raw.get("flavor", d.flavor), key("flavor")),
        key_pair=None if key_pair is None else non_empty_string(key_pair, key("keyPair")),
        workers=workers,
        kubernetes_version=version,
        pod_cidr=str(pod),
        service_cidr=str(service),
        calico_version=non_empty_string(
            raw.get("calicoVersion", d.calico_version),
            key("calicoVersion"),
            _CALICO_VERSION,
            "e.g. v3.26.4",
        ),
        encapsulation=encapsulation,
        bootstrap_token_ttl=non_empty_string(
            raw.get("bootstrapTokenTtl", d.bootstrap_token_ttl),
            key("bootstrapTokenTtl"),
            _TTL,
            "a Go duration such as 24h0m0s",
        ),
        api_allowed_cidrs=_cidrs(raw, "apiAllowedCidrs"),
        node_port_allowed_cidrs=_cidrs(raw, "nodePortAllowedCidrs"),
        ssh_allowed_cidrs=_cidrs(raw, "sshAllowedCidrs"),
        ready_timeout_seconds=int_in_range(
            raw.get("readyTimeoutSeconds", d.ready_timeout_seconds),
            key("readyTimeoutSeconds"),
            60,
            7200,
            "a number of seconds",
        ),
    )


def _resources(raw: Any) -> Resources:
    key = f"{WORKLOAD_KEY}.resources"
    raw = object_with_keys({} if raw is None else raw, key, _RESOURCE_KEYS)
    d = Resources()
    values = {}
    for name, attr in _RESOURCE_KEYS.items():
        pattern = _QUANTITY_CPU if attr.startswith("cpu") else _QUANTITY_MEM
        valid = "e.g. 250m or 1" if attr.startswith("cpu") else "e.g. 128Mi or 1Gi"
        values[attr] = non_empty_string(
            str(raw.get(name, getattr(d, attr))), f"{key}.{name}", pattern, valid
        )
    return Resources(**values)


def parse_workload_settings(raw: Mapping[str, Any] | None) -> WorkloadSettings:
    """Validate the raw ``cloudlab:workload`` object; ``image`` is the only required key."""
    raw = object_with_keys({} if raw is None else raw, WORKLOAD_KEY, _WORKLOAD_KEYS)

    def key(name: str) -> str:
        return f"{WORKLOAD_KEY}.{name}"

    if "image" not in raw:
        raise ConfigError(
            key("image"),
            "required: the image built from apps/fastapi-app",
            "e.g. docker.io/<you>/fastapi-app:1.0, built and pushed from apps/fastapi-app",
        )
    d = WorkloadSettings(image="unused")
    probe_path = non_empty_string(raw.get("probePath", d.probe_path), key("probePath"))
    if not probe_path.startswith("/"):
        raise ConfigError(key("probePath"), f"{probe_path!r} is not an absolute path", "e.g. /")
    container_port = int_in_range(
        raw.get("containerPort", d.container_port), key("containerPort"), 1, 65535, "a port"
    )
    return WorkloadSettings(
        image=non_empty_string(raw["image"], key("image")),
        app_name=non_empty_string(
            raw.get("appName", d.app_name), key("appName"), _DNS_LABEL, "a DNS label"
        ),
        namespace=non_empty_string(
            raw.get("namespace", d.namespace), key("namespace"), _DNS_LABEL, "a DNS label"
        ),
        replicas=int_in_range(
            raw.get("replicas", d.replicas), key("replicas"), 1, 100, "a number of pods"
        ),
        container_port=container_port,
        service_port=int_in_range(
            raw.get("servicePort", d.service_port), key("servicePort"), 1, 65535, "a port"
        ),
        node_port=int_in_range(
            raw.get("nodePort", d.node_port), key("nodePort"), *NODE_PORT_RANGE, "a node port"
        ),
        placement=non_empty_string(
            raw.get("placement", d.placement), key("placement"), _DNS_LABEL, "a node name"
        ),
        probe_path=probe_path,
        resources=_resources(raw.get("resources")),
    )


def check_placement(workload: WorkloadSettings, cluster: ClusterSettings) -> None:
    """The workload must be placed on one of the cluster's workers."""
    if workload.placement not in cluster.worker_names:
        raise ConfigError(
            f"{WORKLOAD_KEY}.placement",
            f"{workload.placement!r} is not a worker of this cluster",
            ", ".join(cluster.worker_names),
        )
