"""The calculator lab on OpenStack (LABS.md section 2), flat (stage A) or secured (stage B).

secured: the calculator (gateway) VM alone on the front-end network with the only floating
IP; the four operand VMs on the back-end network; an internal router joining both at the
lab's addresses; an edge router to the external network; the front end's route to the back
end handed out by DHCP instead of typed with ``route add``.

flat: the five VMs on one network behind the edge router, the floating IP on the calculator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_openstack as openstack

from components.calculator.settings import CalculatorSettings
from components.calculator.userdata import render_user_data
from components.openstack.network import PrivateNetwork, PrivateNetworkArgs, Route
from components.openstack.quota import Footprint, lab_footprint
from components.openstack.router import Router, RouterArgs, RouterInterfaceSpec
from components.openstack.security_group import IngressRule, SecurityGroup, SecurityGroupArgs
from components.openstack.vm import DEFAULT_FLAVOR_SIZES, FlavorSize, Vm, VmArgs


@dataclass
class CalculatorLabOptions:
    """How the lab's VMs are judged on a resize (optional)."""

    previous_flavor: pulumi.Input[str | None] = None
    """The flavor the VMs run now (the stack's last ``flavor`` output)."""
    flavor_sizes: Mapping[str, FlavorSize] = field(
        default_factory=lambda: dict(DEFAULT_FLAVOR_SIZES)
    )
    """Sizes of the flavors, to warn before a shrinking resize."""


class CalculatorLab(pulumi.ComponentResource):
    """Five calculator services on VMs, wired as the lab's topology says."""

    frontend: PrivateNetwork
    backend: PrivateNetwork | None
    edge_router: Router
    internal_router: Router | None
    gateway_group: SecurityGroup
    operand_groups: dict[str, SecurityGroup]
    operands: dict[str, list[Vm]]
    gateway: Vm
    floating_ip: pulumi.Output[str]
    calculator_url: pulumi.Output[str]
    private_ips: dict[str, pulumi.Output[str]]
    vms: dict[str, Vm]
    """Every VM by its key: ``calculator``, ``sum`` (or ``sum-1``...), ..."""
    vm_placement: dict[str, tuple[PrivateNetwork, list[pulumi.Output[str]]]]
    """Network and security groups of each VM, for a VM booted from its snapshot."""

    def __init__(
        self,
        name: str,
        settings: CalculatorSettings,
        opts: pulumi.ResourceOptions | None = None,
        options: CalculatorLabOptions | None = None,
    ) -> None:
        super().__init__("cloudlab:openstack:CalculatorLab", name, None, opts)
        resize = options or CalculatorLabOptions()
        child = pulumi.ResourceOptions(parent=self)
        s = settings
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
            operand_network, operand_sources = self.backend, s.frontend_cidr
        else:
            self.frontend = PrivateNetwork(
                f"{name}-private",
                PrivateNetworkArgs(cidr=s.frontend_cidr, gateway_ip=s.frontend_gateway_ip),
                child,
            )
            self.backend = None
            self.internal_router = None
            operand_network, operand_sources = self.frontend, s.frontend_cidr

        self.edge_router = Router(
            f"{name}-edge",
            RouterArgs(
                interfaces=[RouterInterfaceSpec("frontend", self.frontend)],
                external_network_id=external.id,
            ),
            child,
        )

        ssh_rules = [
            IngressRule("tcp", cidr, 22, description="SSH from an allowed admin network")
            for cidr in s.ssh_allowed_cidrs
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
                            "tcp", operand_sources, port, description=f"{operator} service"
                        ),
                        *ssh_rules,
                    ],
                ),
                child,
            )
            for operator, port in s.service_ports.items()
        }

        self.operands = {}
        self.private_ips = {}
        self.vms = {}
        self.vm_placement = {}
        for operator, port in s.service_ports.items():
            keys = s.operand_keys(operator)
            self.operands[operator] = [
                Vm(
                    f"{name}-{key}",
                    VmArgs(
                        network=operand_network,
                        image=s.image,
                        flavor=s.flavor,
                        key_pair=s.key_pair,
                        security_group_ids=[self.operand_groups[operator].group_id],
                        user_data=render_user_data(operator, port),
                        previous_flavor=resize.previous_flavor,
                        flavor_sizes=resize.flavor_sizes,
                    ),
                    child,
                )
                for key in keys
            ]
            for key, vm in zip(keys, self.operands[operator], strict=True):
                self.vms[key] = vm
                self.private_ips[key] = vm.private_ip
                self.vm_placement[key] = (operand_network, [self.operand_groups[operator].group_id])

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
        self.gateway = Vm(
            f"{name}-calculator",
            VmArgs(
                network=self.frontend,
                image=s.image,
                flavor=s.flavor,
                key_pair=s.key_pair,
                security_group_ids=[self.gateway_group.group_id],
                user_data=operand_urls.apply(
                    lambda urls: render_user_data("calculator", s.public_port, urls)
                ),
                floating_ip_pool=s.external_network,
                # Neutron binds a floating IP only once the subnet reaches the external network.
                floating_ip_after=[self.edge_router],
                previous_flavor=resize.previous_flavor,
                flavor_sizes=resize.flavor_sizes,
            ),
            child,
        )

        self.floating_ip = pulumi.Output.from_input(self.gateway.public_ip).apply(str)
        self.calculator_url = pulumi.Output.concat(
            "http://", self.floating_ip, ":", str(s.public_port)
        )
        self.private_ips = {"calculator": self.gateway.private_ip, **self.private_ips}
        self.vms = {"calculator": self.gateway, **self.vms}
        self.vm_placement["calculator"] = (self.frontend, [self.gateway_group.group_id])
        self.register_outputs(
            {
                "calculator_url": self.calculator_url,
                "floating_ip": self.floating_ip,
                "private_ips": self.private_ips,
            }
        )


def calculator_footprint(
    settings: CalculatorSettings, vcpus: int, ram_mb: int, extra_vms: int = 0
) -> Footprint:
    """What :class:`CalculatorLab` with ``settings`` takes from the project's quotas, its VMs
    of a flavor of ``vcpus`` and ``ram_mb``, plus ``extra_vms`` VMs in its networks (booted
    from snapshots)."""
    s = settings
    ssh = len(s.ssh_allowed_cidrs)
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
    )
