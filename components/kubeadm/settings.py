"""Settings of the kubeadm lab: the ``cloudlab:kubernetes`` model (the cluster on OpenStack).

:func:`parse_cluster_settings` reads it, or raises :class:`ConfigError` naming the offending
key, before any resource is registered. Defaults are the lab's values (see
``docs/labs/kubernetes.md``). The rules across this key and ``cloudlab:workload`` (the
placement is a worker, the API is open to where ``pulumi`` runs) are in the stack's model,
:class:`components.config.kubernetes.KubernetesConfig`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from pydantic import model_validator

from components.errors import ConfigError
from components.kubernetes.settings import WORKLOAD_KEY, WorkloadSettings
from components.settings import (
    BoolOrText,
    Choice,
    Cidr,
    CidrList,
    ConfigModel,
    Int,
    Text,
    check_port,
    check_text,
    derived,
    field_type,
    invalid,
    load_settings,
    refuse_world_open,
)

CLUSTER_KEY = "cloudlab:kubernetes"
"""The config key keeps its name: existing stacks' config files hold it."""
ENCAPSULATIONS = ("IPIP", "VXLAN")
READINESS = ("wait", "none")
MAX_WORKERS = 20
_VERSION = re.compile(r"^1\.(\d{1,2})(?:\.(\d{1,3}))?$")


def _version(value: Any) -> str:
    version = check_text(value, _VERSION, "1.MINOR or 1.MINOR.PATCH, e.g. 1.28 or 1.28.2")
    if int(_VERSION.match(version).group(1)) < 24:  # type: ignore[union-attr]
        raise invalid(f"{version} predates pkgs.k8s.io", ">= 1.24")
    return version


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
MAX_TOKEN_TTL_SECONDS = 24 * 3600
TOKEN_TTL_VALID = "a Go duration from 1s to 24h, e.g. 24h0m0s or 2h"


def _token_ttl(value: Any) -> str:
    """A bootstrap token lifetime: kubeadm reads ``0s`` as "never expires", and a token that
    outlives the day the nodes boot in only widens the window in which a leaked one joins a
    rogue node."""
    ttl = check_text(value, _DURATION, TOKEN_TTL_VALID)
    hours, minutes, seconds = (int(part or 0) for part in _DURATION.match(ttl).groups())  # type: ignore[union-attr]
    total = hours * 3600 + minutes * 60 + seconds
    if total == 0:
        raise invalid(f"{ttl!r} never expires", TOKEN_TTL_VALID)
    if total > MAX_TOKEN_TTL_SECONDS:
        raise invalid(f"{ttl!r} outlives a day", TOKEN_TTL_VALID)
    return ttl


def _address(value: Any) -> str:
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        raise invalid(f"{value!r} is not an IPv4 address") from None


# Each CIDR becomes a security-group rule, and Neutron refuses a duplicate.
Cidrs = CidrList(unique=True)
METADATA_CIDR = "169.254.169.254/32"
"""The metadata service, where cloud-init reads the nodes' user data."""


def _ports(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list | tuple):
        raise invalid(f"expected a list of ports, got {value!r}", "e.g. [80, 443]")
    ports = tuple(check_port(v) for v in value)
    if len(set(ports)) != len(ports):
        raise invalid(f"{list(ports)} repeats a port", "each port once")
    return ports


Ports = field_type("list of ports 1-65535", _ports)


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
    bootstrap_token_ttl: field_type(TOKEN_TTL_VALID, _token_ttl) = "24h0m0s"
    """Lifetime of the bootstrap token the workers join with: more than 0s (kubeadm's
    "never expires") and at most 24h."""
    api_allowed_cidrs: Cidrs = ()
    """Sources allowed to reach the API server (6443) through the floating IP; the
    ``kubernetes`` stack needs at least the address ``pulumi`` runs from."""
    node_port_allowed_cidrs: Cidrs = ()
    """Sources allowed to reach NodePorts 30000-32767; empty keeps them closed."""
    ssh_allowed_cidrs: Cidrs = ()
    """Sources allowed to SSH into the nodes; empty keeps SSH closed."""
    allow_world_open: BoolOrText = False
    """Set true to let ``apiAllowedCidrs``, ``nodePortAllowedCidrs`` or ``sshAllowedCidrs``
    name the whole internet (0.0.0.0/0, ::/0, any public range wider than a /16): you mean it.
    Without it such a CIDR is refused."""
    egress_cidrs: Cidrs = ("0.0.0.0/0",)
    """Where the nodes' package and image sources and DNS servers are (pkgs.k8s.io, the
    container registries, the distribution's mirror): the only destinations of their egress
    besides the metadata service and each other. Narrow it to your campus mirror's or proxy's
    range when you have one."""
    egress_tcp_ports: Ports = (53, 80, 443)
    """TCP ports the nodes may reach in ``egressCidrs``: DNS, HTTP (apt mirrors), HTTPS
    (pkgs.k8s.io, registries)."""
    egress_udp_ports: Ports = (53, 123)
    """UDP ports the nodes may reach in ``egressCidrs``: DNS and NTP."""
    ready_timeout_seconds: Int(60, 7200, "a number of seconds") = 1200
    """How long ``pulumi up`` waits for the API and every node to be Ready before failing."""
    readiness: Choice(READINESS, "readiness") = "wait"
    """``wait``: ``pulumi up`` waits (``readyTimeoutSeconds``) for the API and every node to be
    Ready, then the stack deploys the workload through the cluster's Kubernetes provider.
    ``none``: the servers, the security groups, the PKI and the join token only, with no
    readiness gate, no provider and no workload (``cloudlab:workload`` must then be unset): for
    a cloud whose servers do not run their user data (the local OpenStack's compute driver
    boots nothing), or to bootstrap the cluster by hand."""

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
        for cidrs, key, what in (
            (self.api_allowed_cidrs, "apiAllowedCidrs", "the Kubernetes API"),
            (self.node_port_allowed_cidrs, "nodePortAllowedCidrs", "the NodePorts"),
            (self.ssh_allowed_cidrs, "sshAllowedCidrs", "SSH"),
        ):
            refuse_world_open(cidrs, key, self.allow_world_open, what)
        return self

    def egress_rules(self) -> list[Any]:
        """The nodes' egress to the outside, as security-group rules (Neutron's allow-all
        default dropped): ``egressTcpPorts`` and ``egressUdpPorts`` to each of
        ``egressCidrs``, and the metadata service. Traffic between the nodes is the cluster
        groups' own business (rules to the members group)."""
        from components.openstack.security_group import EgressRule

        rules = [
            EgressRule(protocol, cidr, port, description=f"{protocol} {port} to the sources")
            for cidr in self.egress_cidrs
            for protocol, ports in (("tcp", self.egress_tcp_ports), ("udp", self.egress_udp_ports))
            for port in ports
        ]
        rules.append(EgressRule("tcp", METADATA_CIDR, 80, description="metadata (cloud-init)"))
        return rules

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


def parse_cluster_settings(raw: Mapping[str, Any] | None) -> ClusterSettings:
    """Validate the raw ``cloudlab:kubernetes`` object; missing keys take the lab's values."""
    return load_settings(ClusterSettings, raw, CLUSTER_KEY)


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
