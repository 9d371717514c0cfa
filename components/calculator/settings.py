"""Settings of the calculator lab (docs/labs/calculator.md, docs/labs/openstack.md): the
``cloudlab:calculator`` model.

One typed value, :class:`CalculatorSettings`, describes the lab whatever the environment
(OpenStack VMs or the local Docker twin). Every rule is in the model: the networks are
disjoint, the router and gateway addresses are hosts of their networks, no two services share
a port, and the operands fit their network (one capacity rule, :func:`operand_room`, for the
VMs and the twin's containers). :func:`parse_calculator_settings` reads the raw config object,
or raises :class:`ConfigError` naming the offending key and what would be valid. Nothing here
touches Pulumi resources, so a stack validates everything before it registers the first one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import model_validator

from components.settings import (
    BoolOrText,
    Choice,
    Cidr,
    CidrList,
    ConfigModel,
    Int,
    Port,
    Text,
    derived,
    field_type,
    invalid,
    load_settings,
    refuse_world_open,
)

CONFIG_KEY = "cloudlab:calculator"
TOPOLOGIES = ("secured", "flat")
OPERATORS = ("sum", "sub", "mul", "div")
MAX_REPLICAS = 250
SSH_PORT = 22
OPENSTACK_ONLY = (
    "image",
    "flavor",
    "key_pair",
    "external_network",
    "allowed_cidrs",
    "ssh_allowed_cidrs",
    "allow_world_open",
    "metadata_egress",
)
"""Settings that only mean something on OpenStack (VMs, security groups, floating IPs)."""


def _address_text(value: Any) -> str:
    if not isinstance(value, str):
        raise invalid(f"expected an IPv4 address, got {value!r}")
    return value.strip()


Subnet = Cidr("192.168.18.0/24", max_prefix=29, small=" for the lab")
HostAddress = field_type("IPv4 address, a host of its network", _address_text)
Cidrs = CidrList("192.168.18.0/24", unique=True)


class ServicePorts(ConfigModel):
    """TCP port of each operand service (docs/labs/calculator.md)."""

    unknown_key: ClassVar[str] = "unknown operand service"
    object_hint: ClassVar[str | None] = "{sum, sub, mul, div}"

    sum: Port = 50001
    """Port of the sum service."""
    sub: Port = 50002
    """Port of the sub service."""
    mul: Port = 50003
    """Port of the mul service."""
    div: Port = 50004
    """Port of the div service."""

    def items(self) -> list[tuple[str, int]]:
        """(operator, port) pairs in the canonical order sum, sub, mul, div."""
        return [(name, getattr(self, name)) for name in OPERATORS]


def _host(value: str, net_text: str, net_key: str, at: str) -> ipaddress.IPv4Address:
    """``value`` if it is a host address of ``net_text`` (named ``net_key`` in hints)."""
    net = ipaddress.ip_network(net_text)
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise invalid(f"{value!r} is not an IPv4 address", at=at) from None
    hosts = f"an address of {net_key} ({net[1]} to {net[-2]})"
    if address not in net or address in (net.network_address, net.broadcast_address):
        raise invalid(f"{address} is not a host address of {net}", hosts, at)
    return address


class CalculatorSettings(ConfigModel):
    """The calculator lab (``cloudlab:calculator``). Defaults are the values the labs used."""

    topology: Choice(TOPOLOGIES, "topology") = "secured"
    """``secured`` (stage B: front end + back end + router) or ``flat`` (stage A)."""
    frontend_cidr: Subnet = "192.168.210.0/24"
    """Network 2, the gateway's network (also the single network of ``flat``)."""
    backend_cidr: Subnet = "192.168.18.0/24"
    """Network 1, the operand services' network (``secured`` only)."""
    router_frontend_ip: HostAddress = "192.168.210.1"
    """Internal router's address on the front end: the next hop to the back end."""
    router_backend_ip: HostAddress = "192.168.18.1"
    """Internal router's address on the back end: the back end's default gateway."""
    frontend_gateway_ip: HostAddress = derived("192.168.210.254", "the last host of `frontendCidr`")
    """Address of the router to the external network on the front end (the twin: the host's
    bridge); default: the last host of ``frontendCidr``, so ``.1`` stays the internal
    router's."""
    external_network: Text() = "public"
    """Name of the external network that floating IPs come from (OpenStack only)."""
    image: Text() = "ubuntu_20"
    """Image of every VM, which needs python3 and cloud-init (OpenStack only)."""
    flavor: Text() = "small2"
    """Flavor of every VM (OpenStack only)."""
    key_pair: Text(optional=True) = None
    """Nova key pair injected into the VMs, if any (OpenStack only)."""
    public_port: Port = 50005
    """Port of the calculator, the only service reachable from outside."""
    service_ports: ServicePorts = ServicePorts()
    """Ports of the four operand services."""
    allowed_cidrs: Cidrs = ("0.0.0.0/0",)
    """Sources allowed to reach the calculator's public port (OpenStack only)."""
    ssh_allowed_cidrs: Cidrs = ()
    """Sources allowed to SSH into the VMs; empty keeps SSH closed (OpenStack only). A
    world-open source (0.0.0.0/0, ::/0, any public range wider than a /16) is refused unless
    ``allowWorldOpen`` is true."""
    allow_world_open: BoolOrText = False
    """Set true to let ``sshAllowedCidrs`` name the whole internet: you mean it (OpenStack
    only). ``allowedCidrs``, the calculator's public port, is public by design and needs no
    such setting."""
    metadata_egress: BoolOrText = True
    """Every VM may reach the metadata service (169.254.169.254, TCP 80), where cloud-init
    reads the user data that installs its service; false on a cloud that uses config drives
    (OpenStack only). Besides it, the calculator may reach only the operand services' ports
    on their network, and the operands nothing at all: Neutron's allow-all default egress is
    dropped."""
    replicas: Int(1, MAX_REPLICAS, "a whole number of VMs", accept_text=False) = 1
    """VMs (containers on the twin) per operand service; the calculator spreads its calls
    over them. They must fit their network beside the lab's reserved addresses."""

    @model_validator(mode="before")
    @classmethod
    def _gateway_defaults_to_the_last_front_end_host(cls, raw: Any) -> Any:
        if not isinstance(raw, Mapping) or {"frontendGatewayIp", "frontend_gateway_ip"} & set(raw):
            return raw
        cidr = raw.get("frontendCidr", raw.get("frontend_cidr", "192.168.210.0/24"))
        try:
            net = ipaddress.ip_network(str(cidr).strip())
        except ValueError:
            return raw  # the CIDR's own check reports it
        if net.version != 4 or net.num_addresses < 4:
            return raw
        return {**raw, "frontendGatewayIp": str(net[-2])}

    @model_validator(mode="after")
    def _lab_is_consistent(self) -> CalculatorSettings:
        """secured: `backendCidr` and `frontendCidr` are disjoint. The router and gateway
        addresses are hosts of their networks; secured: the gateway is not the internal
        router's. `publicPort` and `servicePorts` are five distinct ports, none of them 22
        (sshd). `allowedCidrs` is not empty. The operands fit their network (one rule for the
        VMs and the twin): at most (hosts - 2) / 4 replicas in `backendCidr` (secured), (hosts
        - 3) / 4 in `frontendCidr` (flat)."""
        frontend = ipaddress.ip_network(self.frontend_cidr)
        backend = ipaddress.ip_network(self.backend_cidr)
        if self.secured and frontend.overlaps(backend):
            raise invalid(
                f"{backend} overlaps frontendCidr {frontend}",
                "two disjoint networks",
                "backendCidr",
            )
        front = _host(
            self.router_frontend_ip, self.frontend_cidr, "frontendCidr", "routerFrontendIp"
        )
        back = _host(self.router_backend_ip, self.backend_cidr, "backendCidr", "routerBackendIp")
        gateway = _host(
            self.frontend_gateway_ip, self.frontend_cidr, "frontendCidr", "frontendGatewayIp"
        )
        if self.secured and gateway == front:
            raise invalid(
                f"{gateway} is already routerFrontendIp, the internal router's address",
                "another host address of frontendCidr",
                "frontendGatewayIp",
            )
        # Canonical text (" 10.0.0.1" and "10.0.0.1" are the same address).
        for name, address in (
            ("router_frontend_ip", front),
            ("router_backend_ip", back),
            ("frontend_gateway_ip", gateway),
        ):
            object.__setattr__(self, name, str(address))
        self._check_ports()
        self._check_capacity()
        refuse_world_open(self.ssh_allowed_cidrs, "sshAllowedCidrs", self.allow_world_open, "SSH")
        return self

    def _check_ports(self) -> None:
        # The lab's images run sshd on 22: a service there could not start, and its rule
        # would collide with the SSH rule.
        seen: dict[int, str] = {SSH_PORT: "SSH (sshd on the lab's images)"}
        if self.public_port in seen:
            raise invalid(
                f"port {self.public_port} is already used by {seen[self.public_port]}",
                "another port, e.g. 50005 or 80",
                "publicPort",
            )
        seen[self.public_port] = "publicPort"
        for name, number in self.service_ports.items():
            if number in seen:
                raise invalid(
                    f"port {number} is already used by {seen[number]}",
                    "five distinct ports",
                    f"servicePorts.{name}",
                )
            seen[number] = f"servicePorts.{name}"
        if not self.allowed_cidrs:
            raise invalid(
                "no source may reach the calculator",
                "at least one CIDR, e.g. 0.0.0.0/0 for everyone or 203.0.113.0/24",
                "allowedCidrs",
            )

    def _check_capacity(self) -> None:
        room = operand_room(self)
        if self.replicas > room:
            cidr_key = "backendCidr" if self.secured else "frontendCidr"
            net = self.backend_cidr if self.secured else self.frontend_cidr
            raise invalid(
                f"{4 * self.replicas} operand VMs do not fit in {cidr_key} {net}",
                f"at most {room} replicas there, or a larger {cidr_key}",
                "replicas",
            )

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

    def openstack_only_keys(self) -> list[str]:
        """The full keys of the OpenStack-only settings this config gives (the local twin
        warns that they have no effect there)."""
        given = [name for name in OPENSTACK_ONLY if name in self.model_fields_set]
        fields = type(self).model_fields
        return sorted(f"{CONFIG_KEY}.{fields[name].alias}" for name in given)


def operand_room(settings: CalculatorSettings) -> int:
    """How many replicas of the four operands fit their network: its host addresses less
    what the lab reserves there. secured: the back end holds the operands, the router's leg
    and the DHCP port (the twin: the host's bridge); flat: one network holds everything, the
    edge router's leg, the DHCP port (the twin: the unused router address) and the
    calculator. The one capacity rule of the OpenStack lab and of its Docker twin."""
    if settings.secured:
        net, reserved = ipaddress.ip_network(settings.backend_cidr), 2
    else:
        net, reserved = ipaddress.ip_network(settings.frontend_cidr), 3
    return (net.num_addresses - 2 - reserved) // 4


def parse_calculator_settings(raw: Mapping[str, Any] | None) -> CalculatorSettings:
    """Validate the raw ``cloudlab:calculator`` object; missing keys take the labs' values.

    Raises :class:`ConfigError` naming the full key of the first problem found.
    """
    return load_settings(CalculatorSettings, raw, CONFIG_KEY)
