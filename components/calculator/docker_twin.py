"""The calculator lab as Docker containers on this machine: a twin of the OpenStack lab.

secured (the default, a twin of stage B): a front-end network with the calculator, the
gateway, published on ``publish_host:public_port`` (the twin's floating IP); an *internal*
back-end network with the four operand containers, unpublished; a router container holding
both router addresses with IP forwarding, forwarding front -> back only; the calculator's
static route to the back end declared and re-applied at every start. See README.md beside
this file for why the router masquerades instead of being the operands' default gateway.

flat (stage A, and the Docker lab's "orchestration" row): the five containers on one
network with fixed addresses, the calculator published.

Same settings and defaults as the OpenStack lab (:class:`CalculatorSettings`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pulumi

from components.calculator.settings import CalculatorSettings
from components.docker.settings import DockerSettings
from components.dynamic.docker.container import (
    Container,
    ContainerArgs,
    ForwardRule,
    NetworkAttachment,
    PortBinding,
    Route,
)
from components.dynamic.docker.image import (
    LocalImage,
    LocalImageArgs,
    context_hash,
    package_context,
)
from components.dynamic.docker.network import Network, NetworkArgs

IMAGE_ID_LABEL = "cloudlab.image-id"
"""Label holding the id of the image a twin container was created from."""

SERVICES_DIR = package_context("services")
"""The services' sources and Dockerfile: the build context of the calculator's image."""
FIRST_HOST = 10
"""Containers get fixed addresses from ``.<FIRST_HOST + 1>`` on, as the lab's VMs did."""


@dataclass
class CalculatorTwinArgs:
    """Arguments of :class:`CalculatorTwin`."""

    settings: CalculatorSettings
    """The lab: topology, networks, router addresses, ports (shared with OpenStack)."""
    docker: DockerSettings
    """Base image and the address the public port is published on."""
    stack: str
    """Stack name: labels every Docker object and prefixes its name (no clash between stacks)."""


def free_hosts(cidr: str, count: int, taken: Iterable[str]) -> list[str]:
    """``count`` host addresses of ``cidr`` from ``.FIRST_HOST + 1`` on, skipping ``taken``;
    in a network too small for that, the lower hosts too (after the others), so that the
    twin fits wherever the lab's capacity rule (``operand_room``) says the VMs do."""
    net = ipaddress.ip_network(cidr)
    busy = {ipaddress.ip_address(a) for a in taken}
    hosts = list(net.hosts())
    found = [h for h in hosts[FIRST_HOST:] + hosts[:FIRST_HOST] if h not in busy][:count]
    if len(found) < count:
        raise ValueError(f"{cidr} has no room for {count} containers")
    return [str(h) for h in found]


def bridge_gateway(cidr: str, taken: Iterable[str]) -> str:
    """The highest host address of ``cidr`` not in ``taken``: the host's end of the bridge."""
    busy = {ipaddress.ip_address(a) for a in taken}
    for host in reversed(list(ipaddress.ip_network(cidr).hosts())):
        if host not in busy:
            return str(host)
    raise ValueError(f"{cidr} has no free address for the bridge")


@dataclass(frozen=True)
class AddressPlan:
    """Fixed addresses of the twin's containers and of the back end's bridge."""

    calculator: str
    operands: list[str]
    backend_gateway: str | None


def plan_addresses(s: CalculatorSettings) -> AddressPlan:
    """Every fixed address. The settings model has already checked that the operands fit
    (:func:`operand_room`), so this cannot run out of addresses."""
    reserved = [s.router_frontend_ip, s.frontend_gateway_ip]
    needed = 4 * s.replicas
    (calculator,) = free_hosts(s.frontend_cidr, 1, reserved)
    if s.secured:
        gateway = bridge_gateway(s.backend_cidr, [s.router_backend_ip])
        operands = free_hosts(s.backend_cidr, needed, [s.router_backend_ip, gateway])
        return AddressPlan(calculator, operands, gateway)
    operands = free_hosts(s.frontend_cidr, needed, [*reserved, calculator])
    return AddressPlan(calculator, operands, None)


@dataclass(frozen=True)
class OperandSlot:
    """One operand container: its operator, its name key (``sum``, ``sum-1``...), address, port."""

    operator: str
    key: str
    ip: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"


def operand_slots(s: CalculatorSettings, plan: AddressPlan) -> list[OperandSlot]:
    """Every operand replica at its address of the plan, in the order the plan gives them."""
    addresses = iter(plan.operands)
    return [
        OperandSlot(operator, key, next(addresses), port)
        for operator, port in s.service_ports.items()
        for key in s.operand_keys(operator)
    ]


def calculator_url_args(slots: list[OperandSlot]) -> list[str]:
    """The calculator's ``--sum URL[,URL...] --sub ...`` arguments."""
    urls: dict[str, list[str]] = {}
    for slot in slots:
        urls.setdefault(slot.operator, []).append(slot.url)
    return [arg for op, found in urls.items() for arg in (f"--{op}", ",".join(found))]


class CalculatorTwin(pulumi.ComponentResource):
    """Five calculator containers (and a router) wired as the lab's topology says."""

    image: LocalImage
    frontend: Network
    backend: Network | None
    router: Container | None
    operands: dict[str, list[Container]]
    calculator: Container
    floating_ip: pulumi.Output[str]
    calculator_url: pulumi.Output[str]
    private_ips: dict[str, str]

    def __init__(
        self, name: str, args: CalculatorTwinArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        plan = plan_addresses(args.settings)
        super().__init__("cloudlab:docker:CalculatorTwin", name, None, opts)
        self._name, self._args = name, args
        self._prefix = f"{name}-{args.stack}"
        s, docker = args.settings, args.docker

        self.image = LocalImage(
            f"{name}-image",
            LocalImageArgs(
                name="cloudlab/calculator",
                tag=args.stack,
                context=str(SERVICES_DIR),
                context_hash=context_hash(SERVICES_DIR),
                build_args={"BASE_IMAGE": docker.base_image},
                stack=args.stack,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        operand_network = self._networks(s, plan)
        self._operands(s, plan, operand_network)
        host_port = docker.publish_port or s.public_port
        self._calculator(s, plan, host_port)

        self.floating_ip = pulumi.Output.from_input(docker.publish_host)
        self.calculator_url = pulumi.Output.from_input(f"http://{docker.publish_host}:{host_port}")
        self.register_outputs(
            {
                "calculator_url": self.calculator_url,
                "floating_ip": self.floating_ip,
                "private_ips": self.private_ips,
            }
        )

    def _container(
        self, key: str, opts: pulumi.ResourceOptions | None = None, **spec: Any
    ) -> Container:
        """A container of the services image named ``<name>-<stack>-<key>``."""
        return Container(
            f"{self._name}-{key}",
            ContainerArgs(
                name=f"{self._prefix}-{key}",
                # By name:tag, so that `docker ps` names the image; the image id as a label, so
                # that a rebuilt image (same tag, new id) still replaces every container.
                image=self.image.ref,
                labels={IMAGE_ID_LABEL: self.image.image_id},
                stack=self._args.stack,
                **spec,
            ),
            pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self), opts),
        )

    def _networks(self, s: CalculatorSettings, plan: AddressPlan) -> Network:
        """The front end; secured, the internal back end and the router container joining
        them. Returns the operands' network."""
        child, stack = pulumi.ResourceOptions(parent=self), self._args.stack
        self.frontend = Network(
            f"{self._name}-frontend",
            NetworkArgs(
                name=f"{self._prefix}-frontend",
                subnet=s.frontend_cidr,
                gateway=s.frontend_gateway_ip,
                stack=stack,
            ),
            child,
        )
        if not s.secured:
            self.backend = None
            self.router = None
            return self.frontend
        self.backend = Network(
            f"{self._name}-backend",
            NetworkArgs(
                name=f"{self._prefix}-backend",
                subnet=s.backend_cidr,
                gateway=plan.backend_gateway,
                internal=True,
                stack=stack,
            ),
            child,
        )
        self.router = self._container(
            "router",
            entrypoint=["sleep"],
            command=["infinity"],
            networks=[
                NetworkAttachment(self.frontend.name, s.router_frontend_ip),
                NetworkAttachment(self.backend.name, s.router_backend_ip),
            ],
            cap_add=["NET_ADMIN"],
            sysctls={"net.ipv4.ip_forward": "1"},
            forward=[ForwardRule(s.frontend_cidr, s.backend_cidr)],
            masquerade=[s.backend_cidr],
        )
        return self.backend

    def _operands(self, s: CalculatorSettings, plan: AddressPlan, network: Network) -> None:
        """One container per operand replica, at the plan's fixed addresses."""
        self.operands = {operator: [] for operator, _ in s.service_ports.items()}
        self.private_ips = {"calculator": plan.calculator}
        for slot in operand_slots(s, plan):
            self.private_ips[slot.key] = slot.ip
            self.operands[slot.operator].append(
                self._container(
                    slot.key,
                    command=[slot.operator, "--port", str(slot.port)],
                    networks=[NetworkAttachment(network.name, slot.ip)],
                )
            )

    def _calculator(self, s: CalculatorSettings, plan: AddressPlan, host_port: int) -> None:
        """The calculator (gateway), published, with its route to the back end if secured."""
        docker = self._args.docker
        url_args = calculator_url_args(operand_slots(s, plan))
        self.calculator = self._container(
            "calculator",
            # Created alongside the router, not after it: a route's next hop only has to be on
            # an attached network, not up, and a call made before the router forwards gets the
            # calculator's 502 naming the operand, as when the router restarts. Waiting for the
            # router's create (start plus settle) cost about 1.5 s of every first `up`.
            None,
            command=["calculator", "--port", str(s.public_port), *url_args],
            networks=[NetworkAttachment(self.frontend.name, plan.calculator)],
            ports=[
                PortBinding(
                    container_port=s.public_port,
                    host_port=host_port,
                    host_ip=docker.publish_host,
                )
            ],
            cap_add=["NET_ADMIN"] if s.secured else [],
            routes=[Route(s.backend_cidr, s.router_frontend_ip)] if s.secured else [],
        )
