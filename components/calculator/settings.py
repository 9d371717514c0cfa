"""Settings of the calculator lab (LABS.md sections 1 and 2), parsed and validated.

One typed value, :class:`CalculatorSettings`, describes the lab whatever the environment
(OpenStack VMs or the local Docker twin). :func:`parse_calculator_settings` turns the raw
``cloudlab:calculator`` config object into it, or raises :class:`ConfigError` naming the
offending key and what would be valid. Nothing here touches Pulumi resources, so a stack
validates everything before it registers the first one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.errors import ConfigError
from components.validation import (
    cidr_list,
    int_in_range,
    ipv4_network,
    non_empty_string,
    object_with_keys,
    port,
)

CONFIG_KEY = "cloudlab:calculator"
TOPOLOGIES = ("secured", "flat")
OPERATORS = ("sum", "sub", "mul", "div")
MAX_REPLICAS = 250
SSH_PORT = 22


@dataclass(frozen=True)
class ServicePorts:
    """TCP port of each operand service (LABS.md section 1)."""

    sum: int = 50001
    sub: int = 50002
    mul: int = 50003
    div: int = 50004

    def items(self) -> list[tuple[str, int]]:
        """(operator, port) pairs in the canonical order sum, sub, mul, div."""
        return [(name, getattr(self, name)) for name in OPERATORS]


@dataclass(frozen=True)
class CalculatorSettings:
    """The calculator lab, validated. Defaults are the values the labs used."""

    topology: str = "secured"
    """``secured`` (stage B: front end + back end + router) or ``flat`` (stage A)."""
    frontend_cidr: str = "192.168.210.0/24"
    """Network 2, the gateway's network (also the single network of ``flat``)."""
    backend_cidr: str = "192.168.18.0/24"
    """Network 1, the operand services' network (``secured`` only)."""
    router_frontend_ip: str = "192.168.210.1"
    """Internal router's address on the front end: the next hop to the back end."""
    router_backend_ip: str = "192.168.18.1"
    """Internal router's address on the back end: the back end's default gateway."""
    frontend_gateway_ip: str = "192.168.210.254"
    """Address of the router to the external network on the front end."""
    external_network: str = "public"
    """Name of the external network that floating IPs come from."""
    image: str = "ubuntu_20"
    """Image of every VM (needs python3 and cloud-init)."""
    flavor: str = "small2"
    """Flavor of every VM."""
    key_pair: str | None = None
    """Nova key pair injected into the VMs, if any."""
    public_port: int = 50005
    """Port of the calculator, the only service reachable from outside."""
    service_ports: ServicePorts = field(default_factory=ServicePorts)
    """Ports of the four operand services."""
    allowed_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    """Sources allowed to reach the calculator's public port."""
    ssh_allowed_cidrs: tuple[str, ...] = ()
    """Sources allowed to SSH into the VMs; empty keeps SSH closed."""
    replicas: int = 1
    """VMs per operand service; the calculator spreads its calls over them."""

    @property
    def secured(self) -> bool:
        """Whether this is the two-network topology."""
        return self.topology == "secured"

    def operand_keys(self, operator: str) -> list[str]:
        """Names of an operator's VMs or containers: ``sum``, or ``sum-1``... with replicas."""
        if self.replicas == 1:
            return [operator]
        return [f"{operator}-{index}" for index in range(1, self.replicas + 1)]

    @property
    def vm_keys(self) -> list[str]:
        """``calculator`` and every operand's keys, in the order the labs list them."""
        return ["calculator", *(k for op in OPERATORS for k in self.operand_keys(op))]


_KEYS: dict[str, str] = {
    "topology": "topology",
    "frontendCidr": "frontend_cidr",
    "backendCidr": "backend_cidr",
    "routerFrontendIp": "router_frontend_ip",
    "routerBackendIp": "router_backend_ip",
    "frontendGatewayIp": "frontend_gateway_ip",
    "externalNetwork": "external_network",
    "image": "image",
    "flavor": "flavor",
    "keyPair": "key_pair",
    "publicPort": "public_port",
    "servicePorts": "service_ports",
    "allowedCidrs": "allowed_cidrs",
    "sshAllowedCidrs": "ssh_allowed_cidrs",
    "replicas": "replicas",
}


def _key(name: str) -> str:
    return f"{CONFIG_KEY}.{name}"


def _subnet(value: Any, key: str) -> ipaddress.IPv4Network:
    net = ipv4_network(value, key, "192.168.18.0/24")
    if net.prefixlen > 29:
        raise ConfigError(key, f"{net} is too small for the lab", "a prefix of /29 or larger")
    return net


def _cidrs(raw: Mapping[str, Any], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    return cidr_list(raw.get(name, list(default)), _key(name), "192.168.18.0/24", unique=True)


def _host(value: Any, key: str, net: ipaddress.IPv4Network, net_key: str) -> ipaddress.IPv4Address:
    if not isinstance(value, str):
        raise ConfigError(key, f"expected an IPv4 address, got {value!r}")
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        raise ConfigError(key, f"{value!r} is not an IPv4 address") from None
    hosts = f"an address of {net_key} ({net[1]} to {net[-2]})"
    if address not in net or address in (net.network_address, net.broadcast_address):
        raise ConfigError(key, f"{address} is not a host address of {net}", hosts)
    return address


def _service_ports(raw: Mapping[str, Any]) -> ServicePorts:
    value = raw.get("servicePorts", {})
    key = _key("servicePorts")
    if not isinstance(value, Mapping):
        raise ConfigError(key, f"expected an object, got {value!r}", "{sum, sub, mul, div}")
    unknown = sorted(set(value) - set(OPERATORS))
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}", "unknown operand service", ", ".join(OPERATORS))
    defaults = ServicePorts()
    ports = {
        name: port(value.get(name, getattr(defaults, name)), f"{key}.{name}") for name in OPERATORS
    }
    return ServicePorts(**ports)


def parse_calculator_settings(raw: Mapping[str, Any] | None) -> CalculatorSettings:
    """Validate the raw ``cloudlab:calculator`` object; missing keys take the labs' values.

    Raises :class:`ConfigError` on the first problem found, naming the full key.
    """
    raw = object_with_keys({} if raw is None else raw, CONFIG_KEY, _KEYS)
    d = CalculatorSettings()

    topology = raw.get("topology", d.topology)
    if topology not in TOPOLOGIES:
        raise ConfigError(
            _key("topology"), f"unknown topology {topology!r}", " or ".join(TOPOLOGIES)
        )

    frontend = _subnet(raw.get("frontendCidr", d.frontend_cidr), _key("frontendCidr"))
    backend = _subnet(raw.get("backendCidr", d.backend_cidr), _key("backendCidr"))
    if topology == "secured" and frontend.overlaps(backend):
        raise ConfigError(
            _key("backendCidr"),
            f"{backend} overlaps frontendCidr {frontend}",
            "two disjoint networks",
        )
    router_front = _host(
        raw.get("routerFrontendIp", d.router_frontend_ip),
        _key("routerFrontendIp"),
        frontend,
        "frontendCidr",
    )
    router_back = _host(
        raw.get("routerBackendIp", d.router_backend_ip),
        _key("routerBackendIp"),
        backend,
        "backendCidr",
    )
    # Default: the last host of the front end, so the lab's .1 stays the internal router's.
    gateway = _host(
        raw.get("frontendGatewayIp", str(frontend[-2])),
        _key("frontendGatewayIp"),
        frontend,
        "frontendCidr",
    )
    if topology == "secured" and gateway == router_front:
        raise ConfigError(
            _key("frontendGatewayIp"),
            f"{gateway} is already routerFrontendIp, the internal router's address",
            "another host address of frontendCidr",
        )

    public_port = port(raw.get("publicPort", d.public_port), _key("publicPort"))
    service_ports = _service_ports(raw)
    # The lab's images run sshd on 22: a service there could not start, and its rule would
    # collide with the SSH rule.
    seen: dict[int, str] = {SSH_PORT: "SSH (sshd on the lab's images)"}
    if public_port in seen:
        raise ConfigError(
            _key("publicPort"),
            f"port {public_port} is already used by {seen[public_port]}",
            "another port, e.g. 50005 or 80",
        )
    seen[public_port] = "publicPort"
    for name, number in service_ports.items():
        if number in seen:
            raise ConfigError(
                _key(f"servicePorts.{name}"),
                f"port {number} is already used by {seen[number]}",
                "five distinct ports",
            )
        seen[number] = f"servicePorts.{name}"

    allowed = _cidrs(raw, "allowedCidrs", d.allowed_cidrs)
    if not allowed:
        raise ConfigError(
            _key("allowedCidrs"),
            "no source may reach the calculator",
            "at least one CIDR, e.g. 0.0.0.0/0 for everyone or 203.0.113.0/24",
        )

    key_pair = raw.get("keyPair")
    return CalculatorSettings(
        topology=topology,
        frontend_cidr=str(frontend),
        backend_cidr=str(backend),
        router_frontend_ip=str(router_front),
        router_backend_ip=str(router_back),
        frontend_gateway_ip=str(gateway),
        external_network=non_empty_string(
            raw.get("externalNetwork", d.external_network), _key("externalNetwork")
        ),
        image=non_empty_string(raw.get("image", d.image), _key("image")),
        flavor=non_empty_string(raw.get("flavor", d.flavor), _key("flavor")),
        key_pair=None if key_pair is None else non_empty_string(key_pair, _key("keyPair")),
        public_port=public_port,
        service_ports=service_ports,
        allowed_cidrs=allowed,
        ssh_allowed_cidrs=_cidrs(raw, "sshAllowedCidrs", d.ssh_allowed_cidrs),
        replicas=_replicas_that_fit(raw, topology, frontend, backend),
    )


def _replicas_that_fit(
    raw: Mapping[str, Any],
    topology: str,
    frontend: ipaddress.IPv4Network,
    backend: ipaddress.IPv4Network,
) -> int:
    """``replicas``, if the operand VMs fit their subnet beside the router and DHCP ports."""
    replicas = int_in_range(
        raw.get("replicas", 1),
        _key("replicas"),
        1,
        MAX_REPLICAS,
        "a whole number of VMs",
        accept_text=False,
    )
    # secured: the back end holds the operands, the router's leg and DHCP; flat: one network
    # holds everything, the edge router's leg and DHCP.
    net, others, cidr_key = (
        (backend, 2, "backendCidr") if topology == "secured" else (frontend, 3, "frontendCidr")
    )
    room = (net.num_addresses - 2 - others) // 4
    if replicas > room:
        raise ConfigError(
            _key("replicas"),
            f"{4 * replicas} operand VMs do not fit in {cidr_key} {net}",
            f"at most {room} replicas there, or a larger {cidr_key}",
        )
    return replicas
