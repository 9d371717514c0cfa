"""Settings of the Kubernetes lab (LABS.md section 3): the ``cloudlab:kubernetes`` and
``cloudlab:workload`` models.

``cloudlab:kubernetes`` is the kubeadm cluster on OpenStack, ``cloudlab:workload`` the FastAPI
app. :func:`parse_cluster_settings` and :func:`parse_workload_settings` read them, or raise
:class:`ConfigError` naming the offending key, before any resource is registered. Defaults are
the lab's values. The rules across the two keys (the placement is a worker, the API is open to
where ``pulumi`` runs) are in the stack's model,
:class:`components.config.kubernetes.KubernetesConfig`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from pydantic import model_validator

from components.errors import ConfigError
from components.settings import (
    Choice,
    Cidr,
    CidrList,
    ConfigModel,
    Int,
    Text,
    check_text,
    derived,
    field_type,
    invalid,
    load_settings,
    required,
)

CLUSTER_KEY = "cloudlab:kubernetes"
WORKLOAD_KEY = "cloudlab:workload"
ENCAPSULATIONS = ("IPIP", "VXLAN")
MAX_WORKERS = 20
NODE_PORT_RANGE = (30000, 32767)
_VERSION = re.compile(r"^1\.(\d{1,2})(?:\.(\d{1,3}))?$")
_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
_QUANTITY_CPU = re.compile(r"^(\d+m|\d+(\.\d+)?)$")
_QUANTITY_MEM = re.compile(r"^\d+(Ki|Mi|Gi|K|M|G)?$")


def _version(value: Any) -> str:
    version = check_text(value, _VERSION, "1.MINOR or 1.MINOR.PATCH, e.g. 1.28 or 1.28.2")
    if int(_VERSION.match(version).group(1)) < 24:  # type: ignore[union-attr]
        raise invalid(f"{version} predates pkgs.k8s.io", ">= 1.24")
    return version


def _address(value: Any) -> str:
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        raise invalid(f"{value!r} is not an IPv4 address") from None


# Each CIDR becomes a security-group rule, and Neutron refuses a duplicate.
Cidrs = CidrList(unique=True)


class ClusterSettings(ConfigModel):
    """The kubeadm cluster (``cloudlab:kubernetes``). Defaults are the values the lab used."""

    network_cidr: Cidr(max_prefix=28) = "192.168.60.0/24"
    """The cluster's private network (the nodes' addresses)."""
    master_ip: field_type("IPv4 address", _address) = derived(
        "192.168.60.10", "the `.10` of `networkCidr`"
    )
    """Fixed address of the master (workers' join target); worker N gets the N-th next one.
    ``.1`` is the router's, ``.2-.9`` are left to DHCP and metadata ports."""
    external_network: Text() = "public"
    """External network of the router and of the master's floating IP."""
    image: Text() = "ubuntu_20"
    """Image of every node (Ubuntu 20.04 in the lab)."""
    flavor: Text() = "medium"
    """Flavor of every node; kubeadm needs at least 2 vCPUs and 2 GiB."""
    key_pair: Text(optional=True) = None
    """Nova key pair injected into the nodes, if any."""
    workers: Int(1, MAX_WORKERS, "a number") = 2
    """Number of workers, named worker1, worker2, ..."""
    kubernetes_version: field_type("1.MINOR or 1.MINOR.PATCH, >= 1.24", _version) = "1.28"
    """Kubernetes minor (``1.28``) or patch (``1.28.2``) version, from pkgs.k8s.io."""
    pod_cidr: Cidr() = "172.16.0.0/16"
    """Pod network (Calico's IP pool), disjoint from the others."""
    service_cidr: Cidr() = "10.96.0.0/12"
    """ClusterIP range, disjoint from the others."""
    calico_version: Text(r"^v3\.\d{1,2}\.\d{1,3}$", "e.g. v3.26.4") = "v3.26.4"
    """Calico release whose Tigera operator is applied at init."""
    encapsulation: Choice(ENCAPSULATIONS, "encapsulation") = "IPIP"
    """Calico encapsulation: ``IPIP`` (IP protocol 4, with BGP) or ``VXLAN`` (udp 4789)."""
    bootstrap_token_ttl: Text(r"^(?:\d+h)?(?:\d+m)?(?:\d+s)?$", "a Go duration such as 24h0m0s") = (
        "24h0m0s"
    )
    """Lifetime of the bootstrap token the workers join with."""
    api_allowed_cidrs: Cidrs = ()
    """Sources allowed to reach the API server (6443) through the floating IP; the
    ``kubernetes`` stack needs at least the address ``pulumi`` runs from."""
    node_port_allowed_cidrs: Cidrs = ()
    """Sources allowed to reach NodePorts 30000-32767; empty keeps them closed."""
    ssh_allowed_cidrs: Cidrs = ()
    """Sources allowed to SSH into the nodes; empty keeps SSH closed."""
    ready_timeout_seconds: Int(60, 7200, "a number of seconds") = 1200
    """How long ``pulumi up`` waits for the API and every node to be Ready before failing."""

    @model_validator(mode="before")
    @classmethod
    def _master_defaults_to_the_tenth_address(cls, raw: Any) -> Any:
        if not isinstance(raw, Mapping) or {"masterIp", "master_ip"} & set(raw):
            return raw
        cidr = raw.get("networkCidr", raw.get("network_cidr"))
        try:
            net = ipaddress.ip_network(str(cidr).strip()) if cidr is not None else None
        except ValueError:
            return raw  # the CIDR's own check reports it
        if net is None or net.num_addresses <= 10:
            return raw
        return {**raw, "masterIp": str(net[10])}

    @model_validator(mode="after")
    def _addresses_fit(self) -> ClusterSettings:
        """`masterIp` and the workers after it are hosts of `networkCidr` from its `.10` on;
        `podCidr`, `serviceCidr` and `networkCidr` are disjoint."""
        network = ipaddress.ip_network(self.network_cidr)
        master = ipaddress.ip_address(self.master_ip)
        workers = self.workers
        # .1 is the router's, .2-.9 are left to DHCP/metadata ports; the workers follow.
        if master not in network or not network[10] <= master + workers <= network[-2]:
            raise invalid(
                f"{master} leaves no room in {network} for the master and {workers} workers",
                f"{network[10]} to {network[-2] - workers}",
                "masterIp",
            )
        pod = ipaddress.ip_network(self.pod_cidr)
        service = ipaddress.ip_network(self.service_cidr)
        for name, net in (("podCidr", pod), ("serviceCidr", service)):
            if net.overlaps(network):
                raise invalid(f"{net} overlaps networkCidr {network}", "disjoint ranges", name)
        if pod.overlaps(service):
            raise invalid(f"{service} overlaps podCidr {pod}", "disjoint", "serviceCidr")
        return self

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
    app_name: Text(_DNS_LABEL, "a DNS label") = "fastapi-app"
    """Name of the Deployment; the Services are ``<app>-clusterip-service``, ``<app>-service``."""
    namespace: Text(_DNS_LABEL, "a DNS label") = "default"
    """Namespace of the Deployment and the Services."""
    replicas: Int(1, 100, "a number of pods") = 3
    """Pods of the Deployment."""
    container_port: Int(1, 65535, "a port") = 5000
    """Port the app listens on."""
    service_port: Int(1, 65535, "a port") = 80
    """Port of both Services."""
    node_port: Int(*NODE_PORT_RANGE, "a node port") = 31114
    """Node port of ``fastapi-app-service`` (the lab got 31114)."""
    placement: Text(_DNS_LABEL, "a node name") = "worker1"
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


def parse_cluster_settings(raw: Mapping[str, Any] | None) -> ClusterSettings:
    """Validate the raw ``cloudlab:kubernetes`` object; missing keys take the lab's values."""
    return load_settings(ClusterSettings, raw, CLUSTER_KEY)


def parse_workload_settings(raw: Mapping[str, Any] | None) -> WorkloadSettings:
    """Validate the raw ``cloudlab:workload`` object; ``image`` is the only required key."""
    return load_settings(WorkloadSettings, raw, WORKLOAD_KEY)


def placement_problem(workload: WorkloadSettings, cluster: ClusterSettings) -> str | None:
    """Why the workload cannot be placed on this cluster (not one of its workers), if so."""
    if workload.placement in cluster.worker_names:
        return None
    return f"{workload.placement!r} is not a worker of this cluster"


def check_placement(workload: WorkloadSettings, cluster: ClusterSettings) -> None:
    """The workload must be placed on one of the cluster's workers."""
    problem = placement_problem(workload, cluster)
    if problem:
        raise ConfigError(f"{WORKLOAD_KEY}.placement", problem, ", ".join(cluster.worker_names))
