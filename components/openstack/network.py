"""A private network: one Neutron network, one IPv4 subnet, and the routes its hosts learn."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_openstack as openstack


@dataclass(frozen=True)
class Route:
    """A static route: traffic to ``destination`` goes through ``next_hop``."""

    destination: str
    next_hop: str


@dataclass
class PrivateNetworkArgs:
    """Arguments of :class:`PrivateNetwork`."""

    cidr: str
    """IPv4 CIDR of the subnet."""
    gateway_ip: str | None = None
    """Default gateway handed out by DHCP; ``None`` lets Neutron pick the first address."""
    host_routes: Sequence[Route] = field(default_factory=tuple)
    """Static routes handed to the subnet's hosts by DHCP (declared, survive reboots)."""
    dns_nameservers: Sequence[str] = field(default_factory=tuple)
    """Resolvers handed out by DHCP; empty keeps Neutron's default."""
    reserved_ips: Sequence[str] = field(default_factory=tuple)
    """Addresses kept out of the allocation pool: a router's leg at a fixed address (not the
    gateway). Otherwise the first port Neutron allocates on the subnet, the DHCP agent's own
    port, may take it before the router's interface is created."""


class PrivateNetwork(pulumi.ComponentResource):
    """A tenant network with its subnet, as the labs created them in Horizon."""

    network: openstack.networking.Network
    subnet: openstack.networking.Subnet
    routes: list[openstack.networking.SubnetRoute]
    network_id: pulumi.Output[str]
    subnet_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: PrivateNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:openstack:PrivateNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.network = openstack.networking.Network(
            f"{name}-net", name=name, admin_state_up=True, opts=child
        )
        self.subnet = openstack.networking.Subnet(
            f"{name}-subnet",
            name=f"{name}-subnet",
            network_id=self.network.id,
            cidr=args.cidr,
            ip_version=4,
            enable_dhcp=True,
            gateway_ip=args.gateway_ip,
            dns_nameservers=list(args.dns_nameservers) or None,
            allocation_pools=allocation_pools(args.cidr, args.gateway_ip, args.reserved_ips)
            or None,
            opts=child,
        )
        self.routes = [
            openstack.networking.SubnetRoute(
                f"{name}-route-{cidr_slug(route.destination)}",
                subnet_id=self.subnet.id,
                destination_cidr=route.destination,
                next_hop=route.next_hop,
                opts=child,
            )
            for route in args.host_routes
        ]
        self.network_id = self.network.id
        self.subnet_id = self.subnet.id
        self.register_outputs({"network_id": self.network_id, "subnet_id": self.subnet_id})


def allocation_pools(
    cidr: str, gateway_ip: str | None, reserved: Sequence[str]
) -> list[openstack.networking.SubnetAllocationPoolArgs]:
    """The subnet's host addresses less the gateway and ``reserved``, as contiguous ranges
    (empty when nothing is reserved: Neutron's default pool then)."""
    if not reserved:
        return []
    excluded = {ipaddress.ip_address(a) for a in [*reserved, *([gateway_ip] if gateway_ip else [])]}
    pools: list[openstack.networking.SubnetAllocationPoolArgs] = []
    start = end = None
    for host in ipaddress.ip_network(cidr).hosts():
        if host in excluded:
            if start is not None:
                pools.append(
                    openstack.networking.SubnetAllocationPoolArgs(start=str(start), end=str(end))
                )
            start = end = None
            continue
        start = start or host
        end = host
    if start is not None:
        pools.append(openstack.networking.SubnetAllocationPoolArgs(start=str(start), end=str(end)))
    return pools


def cidr_slug(cidr: str) -> str:
    """A CIDR as a fragment of a resource name: 192.168.18.0/24 -> 192-168-18-0-24."""
    return cidr.replace(".", "-").replace("/", "-")
