"""The group's LXC containers across the Proxmox nodes, placed as the config says."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as proxmoxve

from components.proxmox.settings import Placement, ProxmoxSettings


@dataclass
class ContainerFleetArgs:
    """Arguments of :class:`ContainerFleet`."""

    settings: ProxmoxSettings
    """Sizes, template, storage, bridge and the placement of every container."""


class ContainerFleet(pulumi.ComponentResource):
    """One ``ContainerLegacy`` per placed container: id ``XXYY``, DHCP on the bridge.

    A container's child name depends only on its number, so moving it to another node is
    an update of ``node_name``; the provider replaces the container, deleting it first
    because the new one reuses its fixed id.
    """

    containers: dict[int, proxmoxve.ContainerLegacy]
    """Container resources by number ``YY``."""
    vm_ids: dict[str, int]
    """Hostname -> ``XXYY`` id."""
    nodes: dict[str, str]
    """Hostname -> node."""

    def __init__(
        self, name: str, args: ContainerFleetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:proxmox:ContainerFleet", name, None, opts)
        s = args.settings
        self.containers = {
            p.number: self._container(f"{name}-ct{p.number:02d}", s, p) for p in s.placement
        }
        self.vm_ids = {s.hostname(p.number): s.vmid(p.number) for p in s.placement}
        self.nodes = {s.hostname(p.number): p.node for p in s.placement}
        self.register_outputs({"vm_ids": self.vm_ids, "nodes": self.nodes})

    def _container(self, child: str, s: ProxmoxSettings, p: Placement) -> proxmoxve.ContainerLegacy:
        user = None
        if s.ssh_public_keys:
            user = proxmoxve.ContainerLegacyInitializationUserAccountArgs(
                keys=list(s.ssh_public_keys)
            )
        dhcp = proxmoxve.ContainerLegacyInitializationIpConfigArgs(
            ipv4=proxmoxve.ContainerLegacyInitializationIpConfigIpv4Args(address="dhcp")
        )
        return proxmoxve.ContainerLegacy(
            child,
            node_name=p.node,
            vm_id=s.vmid(p.number),
            description=f"cloudlab: group {s.group}, container {p.number:02d}",
            tags=["cloudlab", s.group],
            unprivileged=s.unprivileged,
            started=p.started,
            start_on_boot=p.started,
            cpu=proxmoxve.ContainerLegacyCpuArgs(cores=s.cores),
            memory=proxmoxve.ContainerLegacyMemoryArgs(dedicated=s.memory, swap=s.swap),
            disk=proxmoxve.ContainerLegacyDiskArgs(datastore_id=s.storage, size=s.disk),
            operating_system=proxmoxve.ContainerLegacyOperatingSystemArgs(
                template_file_id=s.template, type=s.os_type
            ),
            network_interfaces=[
                proxmoxve.ContainerLegacyNetworkInterfaceArgs(name="eth0", bridge=s.bridge)
            ],
            initialization=proxmoxve.ContainerLegacyInitializationArgs(
                hostname=s.hostname(p.number), ip_configs=[dhcp], user_account=user
            ),
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
