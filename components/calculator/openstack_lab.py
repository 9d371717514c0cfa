"""The calculator lab on OpenStack (docs/labs/openstack.md), flat (stage A) or secured (stage B).

secured: the calculator (gateway) VM alone on the front-end network with the only floating
IP; the four operand VMs on the back-end network; an internal router joining both at the
lab's addresses; an edge router to the external network; the front end's route to the back
end handed out by DHCP instead of typed with ``route add``.

flat: the five VMs on one network behind the edge router, the floating IP on the calculator.

The lab's VM operations are part of its args: snapshots of its VMs (``VmSnapshot``) and VMs
booted from them in the same network and security groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_openstack as openstack

from components.calculator.settings import CalculatorSettings
from components.calculator.userdata import render_user_data
from components.openstack.network import PrivateNetwork, PrivateNetworkArgs, Route
from components.openstack.quota import Footprint, lab_footprint
from components.openstack.router import Router, RouterArgs, RouterInterfaceSpec
from components.openstack.security_group import (
    EgressRule,
    IngressRule,
    SecurityGroup,
    SecurityGroupArgs,
)
from components.openstack.vm import (
    DEFAULT_FLAVOR_SIZES,
    FlavorSize,
    Vm,
    VmArgs,
    VmSnapshot,
    VmSnapshotArgs,
)

METADATA_CIDR = "169.254.169.254/32"
"""The metadata service, where cloud-init reads a VM's user data (the same on every cloud)."""


@dataclass
class CalculatorLabArgs:
    """Arguments of :class:`CalculatorLab`: the lab, and the VM operations done on it."""

    settings: CalculatorSettings
    """Topology, networks, router addresses, image, flavor, ports (``cloudlab:calculator``)."""
    previous_flavor: pulumi.Input[str | None] = None
    """The flavor the VMs run now (the stack's last ``flavor`` output): a smaller ``flavor``
    warns before the resize."""
    flavor_sizes: Mapping[str, FlavorSize] = field(
        default_factory=lambda: dict(DEFAULT_FLAVOR_SIZES)
    )
    """Sizes of the flavors, to tell a shrinking resize."""
    snapshots: Mapping[str, str] = field(default_factory=dict)
    """Snapshot image name -> the lab VM it is taken of (``calculator``, ``sum``, ``sum-2``)."""
    restored: Mapping[str, str] = field(default_factory=dict)
    """New VM name -> the snapshot image it boots from (same network and groups as the VM the
    snapshot was taken of)."""
    snapshot_environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment of the ``openstack`` client taking snapshots, e.g. ``{"OS_CLOUD": "insa"}``."""


class CalculatorLab(pulumi.ComponentResource):
    """Five calculator services on VMs, wired as the lab's topology says, with the snapshots
    and the VMs booted from them that the lab's args ask for."""

    frontend: PrivateNetwork
    backend: PrivateNetwork | None
    edge_router: Router
    internal_router: Router | None
    gateway_group: SecurityGroup
    operand_groups: dict[str, SecurityGroup]
    operands: dict[str, list[Vm]]
    gateway: Vm
    snapshots: dict[str, VmSnapshot]
    """Snapshots by image name."""
    restored: dict[str, Vm]
    """VMs booted from a snapshot, by name."""
    floating_ip: pulumi.Output[str]
    calculator_url: pulumi.Output[str]
    private_ips: dict[str, pulumi.Output[str]]
    """Every VM's private address, restored VMs included."""
    snapshot_ids: dict[str, pulumi.Output[str]]
    """Glance image id of each snapshot."""
    vms: dict[str, Vm]
    """Every VM of the lab by its key: ``calculator``, ``sum`` (or ``sum-1``...), ..."""
    vm_placement: dict[str, tuple[PrivateNetwork, list[pulumi.Output[str]]]]
    """Network and security groups of each VM, for a VM booted from its snapshot."""

    def __init__(
        self, name: str, args: CalculatorLabArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:openstack:CalculatorLab", name, None, opts)
        self._name, self._args = name, args
        s = args.settings
        operand_network = self._networks(s)
        self._security_groups(s)
        self._vms(s, operand_network)
        self._snapshots_and_restored(s)

        self.floating_ip = pulumi.Output.from_input(self.gateway.public_ip).apply(str)
        self.calculator_url = pulumi.Output.concat(
            "http://", self.floating_ip, ":", str(s.public_port)
        )
        self.private_ips = {key: vm.private_ip for key, vm in {**self.vms, **self.restored}.items()}
        self.snapshot_ids = {image: snap.image_id for image, snap in self.snapshots.items()}
        self.register_outputs(
            {
                "calculator_url": self.calculator_url,
                "floating_ip": self.floating_ip,
                "private_ips": self.private_ips,
                "snapshot_ids": self.snapshot_ids,
            }
        )

    def _networks(self, s: CalculatorSettings) -> PrivateNetwork:
        """The front end (and, secured, the back end with the internal router), the edge
        router; returns the operands' network."""
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        external = openstack.networking.get_network_output(
            name=s.external_network, opts=pulumi.InvokeOptions(parent=self)
        )
        if s.secured:
            self.frontend = PrivateNetwork(
                f"{name}-frontend",
                PrivateNetworkArgs(
                    cidr=s.frontend_cidr,
                    gateway_ip=s.frontend_gateway_ip,
                    host_routes=[Route(s.backend_cidr, s.router_frontend_ip)],
                    reserved_ips=[s.router_frontend_ip],
                ),
                child,
            )
            self.backend = PrivateNetwork(
                f"{name}-backend",
                PrivateNetworkArgs(cidr=s.backend_cidr, gateway_ip=s.router_backend_ip),
                child,
            )
            self.internal_router = Router(
                f"{name}-internal",
                RouterArgs(
                    interfaces=[
                        RouterInterfaceSpec("frontend", self.frontend, s.router_frontend_ip),
                        RouterInterfaceSpec("backend", self.backend, s.router_backend_ip),
                    ]
                ),
                child,
            )
        else:
            self.frontend = PrivateNetwork(
                f"{name}-private",
                PrivateNetworkArgs(cidr=s.frontend_cidr, gateway_ip=s.frontend_gateway_ip),
                child,
            )
            self.backend = None
            self.internal_router = None
        self.edge_router = Router(
            f"{name}-edge",
            RouterArgs(
                interfaces=[RouterInterfaceSpec("frontend", self.frontend)],
                external_network_id=external.id,
            ),
            child,
        )
        return self.backend or self.frontend

    def _security_groups(self, s: CalculatorSettings) -> None:
        """The gateway's group (the public port from ``allowedCidrs``) and one per operand
        service (its port from the front-end network only); SSH where configured."""
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        ssh_rules = [
            IngressRule("tcp", cidr, 22, description="SSH from an allowed admin network")
            for cidr in s.ssh_allowed_cidrs
        ]
        # Egress: Neutron's allow-all default is dropped. Every VM reads its user data from the
        # metadata service; the calculator reaches the operands' ports; the operands nothing.
        metadata = (
            [EgressRule("tcp", METADATA_CIDR, 80, description="metadata (cloud-init user data)")]
            if s.metadata_egress
            else []
        )
        operand_net = s.backend_cidr if s.secured else s.frontend_cidr
        to_operands = [
            EgressRule(
                "tcp", operand_net, port, description=f"calculator to the {operator} service"
            )
            for operator, port in s.service_ports.items()
        ]
        self.gateway_group = SecurityGroup(
            f"{name}-gateway",
            SecurityGroupArgs(
                description="calculator gateway: the lab's only public service",
                rules=[
                    IngressRule("tcp", cidr, s.public_port, description="calculator (public)")
                    for cidr in s.allowed_cidrs
                ]
                + ssh_rules,
                egress=[*to_operands, *metadata],
            ),
            child,
        )
        self.operand_groups = {
            operator: SecurityGroup(
                f"{name}-{operator}",
                SecurityGroupArgs(
                    description=f"{operator} service: reachable from the calculator's network only",
                    rules=[
                        IngressRule(
                            "tcp", s.frontend_cidr, port, description=f"{operator} service"
                        ),
                        *ssh_rules,
                    ],
                    egress=list(metadata),
                ),
                child,
            )
            for operator, port in s.service_ports.items()
        }

    def _vm(self, key: str, network: PrivateNetwork, **vm: Any) -> Vm:
        s, args = self._args.settings, self._args
        return Vm(
            f"{self._name}-{key}",
            VmArgs(
                network=network,
                image=s.image,
                flavor=s.flavor,
                key_pair=s.key_pair,
                previous_flavor=args.previous_flavor,
                flavor_sizes=args.flavor_sizes,
                **vm,
            ),
            pulumi.ResourceOptions(parent=self),
        )

    def _vms(self, s: CalculatorSettings, operand_network: PrivateNetwork) -> None:
        """The operand VMs, then the calculator (gateway) VM pointed at their addresses."""
        self.operands = {}
        operand_vms: dict[str, Vm] = {}
        self.vm_placement = {}
        for operator, port in s.service_ports.items():
            group = self.operand_groups[operator].group_id
            self.operands[operator] = []
            for key in s.operand_keys(operator):
                vm = self._vm(
                    key,
                    operand_network,
                    security_group_ids=[group],
                    user_data=render_user_data(operator, port),
                )
                self.operands[operator].append(vm)
                operand_vms[key] = vm
                self.vm_placement[key] = (operand_network, [group])

        operand_urls = pulumi.Output.all(
            **{
                operator: pulumi.Output.all(*[vm.private_ip for vm in vms])
                for operator, vms in self.operands.items()
            }
        ).apply(
            lambda ips: {
                operator: [f"http://{ip}:{getattr(s.service_ports, operator)}" for ip in addrs]
                for operator, addrs in ips.items()
            }
        )
        self.gateway = self._vm(
            "calculator",
            self.frontend,
            security_group_ids=[self.gateway_group.group_id],
            user_data=operand_urls.apply(
                lambda urls: render_user_data("calculator", s.public_port, urls)
            ),
            floating_ip_pool=s.external_network,
            # Neutron binds a floating IP only once the subnet reaches the external network.
            floating_ip_after=[self.edge_router],
        )
        self.vms = {"calculator": self.gateway, **operand_vms}
        self.vm_placement["calculator"] = (self.frontend, [self.gateway_group.group_id])

    def _snapshots_and_restored(self, s: CalculatorSettings) -> None:
        """A Glance image of each VM ``snapshots`` names, and each ``restored`` VM booted from
        one, in the network and groups of the VM the snapshot was taken of."""
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        self.snapshots = {
            image: VmSnapshot(
                f"{self._name}-snapshot-{image}",
                VmSnapshotArgs(
                    server_id=self.vms[vm].instance.id,
                    image_name=image,
                    environment=dict(args.snapshot_environment),
                ),
                child,
            )
            for image, vm in args.snapshots.items()
        }
        self.restored = {}
        for vm_name, image in args.restored.items():
            network, groups = self.vm_placement[args.snapshots[image]]
            self.restored[vm_name] = Vm(
                f"{self._name}-{vm_name}",
                VmArgs(
                    network=network,
                    image=image,
                    image_id=self.snapshots[image].image_id,  # by id: names can repeat
                    flavor=s.flavor,
                    key_pair=s.key_pair,
                    security_group_ids=groups,
                    image_after=[self.snapshots[image]],
                    # A flavor change resizes them as it does the lab's VMs: the same warning.
                    previous_flavor=args.previous_flavor,
                    flavor_sizes=args.flavor_sizes,
                ),
                child,
            )


def calculator_footprint(
    settings: CalculatorSettings, vcpus: int, ram_mb: int, extra_vms: int = 0
) -> Footprint:
    """What :class:`CalculatorLab` with ``settings`` takes from the project's quotas, its VMs
    of a flavor of ``vcpus`` and ``ram_mb``, plus ``extra_vms`` VMs in its networks (booted
    from snapshots)."""
    s = settings
    ssh = len(s.ssh_allowed_cidrs)
    metadata = 1 if s.metadata_egress else 0
    return lab_footprint(
        instances=1 + len(s.service_ports.items()) * s.replicas + extra_vms,
        vcpus=vcpus,
        ram_mb=ram_mb,
        networks=2 if s.secured else 1,
        routers=2 if s.secured else 1,
        # the edge router's leg on the front end; the internal router's two legs
        router_interfaces=3 if s.secured else 1,
        floating_ips=1,
        ingress_rules_per_group=[len(s.allowed_cidrs) + ssh]
        + [1 + ssh for _ in s.service_ports.items()],
        # the calculator to each operand port; every VM to the metadata service
        egress_rules_per_group=[len(s.service_ports.items()) + metadata]
        + [metadata for _ in s.service_ports.items()],
    )
