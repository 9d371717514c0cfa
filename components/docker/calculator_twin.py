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
from pathlib import Path

import pulumi

from components.calculator.settings import CONFIG_KEY, CalculatorSettings
from components.docker.settings import DockerSettings
from components.dynamic.docker.container import (
    Container,
    ContainerArgs,
    ForwardRule,
    NetworkAttachment,
    PortBinding,
    Route,
)
from components.dynamic.docker.image import LocalImage, LocalImageArgs, context_hash
from components.dynamic.docker.network import Network, NetworkArgs
from components.errors import ConfigError

IMAGE_ID_LABEL = "cloudlab.image-id"
"""Label holding the id of the image a twin container was created from."""

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
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
    """``count`` host addresses of ``cidr`` from ``.FIRST_HOST + 1`` on, skipping ``taken``."""
    net = ipaddress.ip_network(cidr)
    busy = {ipaddress.ip_address(a) for a in taken}
    found = [h for h in list(net.hosts())[FIRST_HOST:] if h not in busy][:count]
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
    """Every fixed address, decided before any resource exists (so a lab that does not fit
    fails with a ConfigError and registers nothing)."""
    reserved = [s.router_frontend_ip, s.frontend_gateway_ip]
    needed = 4 * s.replicas
    try:
        (calculator,) = free_hosts(s.frontend_cidr, 1, reserved)
        if s.secured:
            gateway = bridge_gateway(s.backend_cidr, [s.router_backend_ip])
            operands = free_hosts(s.backend_cidr, needed, [s.router_backend_ip, gateway])
            return AddressPlan(calculator, operands, gateway)
        operands = free_hosts(s.frontend_cidr, needed, [*reserved, calculator])
        return AddressPlan(calculator, operands, None)
    except ValueError as error:
        cidr_key = "backendCidr" if s.secured else "frontendCidr"
        raise ConfigError(
            f"{CONFIG_KEY}.replicas",
            f"{error} (containers take addresses from .{FIRST_HOST + 1} on)",
            f"fewer replicas or a larger {cidr_key}",
        ) from None


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
        s, stack = args.settings, args.stack
        plan = plan_addresses(s)  # first: a lab that does not fit registers nothing
        super().__init__("cloudlab:docker:CalculatorTwin", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = f"{name}-{stack}"

        self.image = LocalImage(
            f"{name}-image",
            LocalImageArgs(
                name="cloudlab/calculator",
                tag=stack,
                context=str(SERVICES_DIR),
                context_hash=context_hash(SERVICES_DIR),
                build_args={"BASE_IMAGE": args.docker.base_image},
                stack=stack,
            ),
            child,
        )
        # By name:tag, so that `docker ps` names the image; the image id as a label, so that a
        # rebuilt image (same tag, new id) still replaces every container.
        image = self.image.ref
        image_labels = {IMAGE_ID_LABEL: self.image.image_id}

        self.frontend = Network(
            f"{name}-frontend",
            NetworkArgs(
                name=f"{prefix}-frontend",
                subnet=s.frontend_cidr,
                gateway=s.frontend_gateway_ip,
                stack=stack,
            ),
            child,
        )

        if s.secured:
            self.backend = Network(
                f"{name}-backend",
                NetworkArgs(
                    name=f"{prefix}-backend",
                    subnet=s.backend_cidr,
                    gateway=plan.backend_gateway,
                    internal=True,
                    stack=stack,
                ),
                child,
            )
            self.router = Container(
                f"{name}-router",
                ContainerArgs(
                    name=f"{prefix}-router",
                    image=image,
                    labels=image_labels,
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
                    stack=stack,
                ),
                child,
            )
            operand_network = self.backend
        else:
            self.backend = None
            self.router = None
            operand_network = self.frontend

        self.operands = {}
        self.private_ips = {"calculator": plan.calculator}
        urls: dict[str, list[str]] = {}
        addresses = iter(plan.operands)
        for operator, port in s.service_ports.items():
            keys = s.operand_keys(operator)
            self.operands[operator] = []
            urls[operator] = []
            for key in keys:
                ip = next(addresses)
                self.private_ips[key] = ip
                urls[operator].append(f"http://{ip}:{port}")
                self.operands[operator].append(
                    Container(
                        f"{name}-{key}",
                        ContainerArgs(
                            name=f"{prefix}-{key}",
                            image=image,
                            labels=image_labels,
                            command=[operator, "--port", str(port)],
                            networks=[NetworkAttachment(operand_network.name, ip)],
                            stack=stack,
                        ),
                        child,
                    )
                )

        host_port = args.docker.publish_port or s.public_port
        url_args = [arg for op, found in urls.items() for arg in (f"--{op}", ",".join(found))]
        self.calculator = Container(
            f"{name}-calculator",
            ContainerArgs(
                name=f"{prefix}-calculator",
                image=image,
                labels=image_labels,
                command=["calculator", "--port", str(s.public_port), *url_args],
                networks=[NetworkAttachment(self.frontend.name, plan.calculator)],
                ports=[
                    PortBinding(
                        container_port=s.public_port,
                        host_port=host_port,
                        host_ip=args.docker.publish_host,
                    )
                ],
                cap_add=["NET_ADMIN"] if s.secured else [],
                routes=[Route(s.backend_cidr, s.router_frontend_ip)] if s.secured else [],
                stack=stack,
            ),
            # The route's next hop must exist before the calculator's first call.
            pulumi.ResourceOptions(
                parent=self, depends_on=[self.router] if self.router is not None else []
            ),
        )

        self.floating_ip = pulumi.Output.from_input(args.docker.publish_host)
        self.calculator_url = pulumi.Output.from_input(
            f"http://{args.docker.publish_host}:{host_port}"
        )
        self.register_outputs(
            {
                "calculator_url": self.calculator_url,
                "floating_ip": self.floating_ip,
                "private_ips": self.private_ips,
            }
        )
