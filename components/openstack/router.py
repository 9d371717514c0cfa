"""A Neutron router: optional external gateway, interfaces with fixed addresses, routes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_openstack as openstack

from components.openstack.network import PrivateNetwork, Route, cidr_slug


@dataclass(frozen=True)
class RouterInterfaceSpec:
    """One leg of the router in a private network."""

    key: str
    """Short name of the leg, used in child resource names (e.g. ``frontend``)."""
    network: PrivateNetwork
    """The network the leg sits in."""
    ip_address: str | None = None
    """Fixed address of the leg; ``None`` takes the subnet's gateway address."""


@dataclass
class RouterArgs:
    """Arguments of :class:`Router`."""

    interfaces: Sequence[RouterInterfaceSpec]
    """The networks the router joins."""
    external_network_id: pulumi.Input[str] | None = None
    """External network for SNAT and floating IPs; ``None`` makes an internal router."""
    routes: Sequence[Route] = field(default_factory=tuple)
    """Static routes of the router itself."""


class Router(pulumi.ComponentResource):
    """A router with its interfaces: the piece the labs wired by hand."""

    router: openstack.networking.Router
    ports: dict[str, openstack.networking.Port]
    interfaces: dict[str, openstack.networking.RouterInterface]
    routes: list[openstack.networking.RouterRoute]

    def __init__(
        self, name: str, args: RouterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:openstack:Router", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.router = openstack.networking.Router(
            f"{name}-router",
            name=name,
            admin_state_up=True,
            external_network_id=args.external_network_id,
            opts=child,
        )
        self.ports = {}
        self.interfaces = {}
        for leg in args.interfaces:
            port_id: pulumi.Input[str] | None = None
            if leg.ip_address is not None:
                port = openstack.networking.Port(
                    f"{name}-{leg.key}-port",
                    name=f"{name}-{leg.key}",
                    network_id=leg.network.network_id,
                    fixed_ips=[
                        openstack.networking.PortFixedIpArgs(
                            subnet_id=leg.network.subnet_id, ip_address=leg.ip_address
                        )
                    ],
                    opts=child,
                )
                self.ports[leg.key] = port
                port_id = port.id
            self.interfaces[leg.key] = openstack.networking.RouterInterface(
                f"{name}-{leg.key}-if",
                router_id=self.router.id,
                port_id=port_id,
                subnet_id=None if port_id is not None else leg.network.subnet_id,
                opts=child,
            )
        # A route's next hop must sit on one of the router's legs, so routes wait for them.
        after_legs = pulumi.ResourceOptions(parent=self, depends_on=list(self.interfaces.values()))
        self.routes = [
            openstack.networking.RouterRoute(
                f"{name}-route-{cidr_slug(route.destination)}",
                router_id=self.router.id,
                destination_cidr=route.destination,
                next_hop=route.next_hop,
                opts=after_legs,
            )
            for route in args.routes
        ]
        self.register_outputs({"router_id": self.router.id})
