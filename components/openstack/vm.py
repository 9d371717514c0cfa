"""A VM: its port (fixed address, security groups), the instance, an optional floating IP."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_openstack as openstack

from components.openstack.network import PrivateNetwork


@dataclass
class VmArgs:
    """Arguments of :class:`Vm`."""

    network: PrivateNetwork
    """The network the VM's only port sits in."""
    image: str
    """Glance image name."""
    flavor: str
    """Nova flavor name."""
    security_group_ids: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    """Groups applied to the port (Neutron's default group is not added)."""
    user_data: pulumi.Input[str] | None = None
    """Cloud-init user data."""
    key_pair: str | None = None
    """Nova key pair to inject."""
    fixed_ip: str | None = None
    """Fixed private address; ``None`` lets DHCP pick."""
    floating_ip_pool: str | None = None
    """External network to take a floating IP from; ``None`` keeps the VM private."""
    floating_ip_after: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist before the floating IP is bound (the router to the external network)."""


class Vm(pulumi.ComponentResource):
    """One lab VM, reachable from outside only if it is given a floating IP."""

    port: openstack.networking.Port
    instance: openstack.compute.Instance
    floating_ip: openstack.networking.FloatingIp | None
    private_ip: pulumi.Output[str]
    public_ip: pulumi.Output[str] | None

    def __init__(self, name: str, args: VmArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cloudlab:openstack:Vm", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        fixed_ip = openstack.networking.PortFixedIpArgs(
            subnet_id=args.network.subnet_id, ip_address=args.fixed_ip
        )
        self.port = openstack.networking.Port(
            f"{name}-port",
            name=name,
            network_id=args.network.network_id,
            fixed_ips=[fixed_ip],
            security_group_ids=list(args.security_group_ids),
            admin_state_up=True,
            opts=child,
        )
        self.instance = openstack.compute.Instance(
            f"{name}-vm",
            name=name,
            image_name=args.image,
            flavor_name=args.flavor,
            key_pair=args.key_pair,
            user_data=args.user_data,
            networks=[openstack.compute.InstanceNetworkArgs(port=self.port.id)],
            opts=child,
        )
        self.private_ip = self.port.all_fixed_ips[0]
        self.floating_ip = None
        self.public_ip = None
        if args.floating_ip_pool is not None:
            self.floating_ip = openstack.networking.FloatingIp(
                f"{name}-fip", pool=args.floating_ip_pool, opts=child
            )
            openstack.networking.FloatingIpAssociate(
                f"{name}-fip-assoc",
                floating_ip=self.floating_ip.address,
                port_id=self.port.id,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.floating_ip_after)),
            )
            self.public_ip = self.floating_ip.address
        self.register_outputs({"private_ip": self.private_ip, "public_ip": self.public_ip})
