"""The group's LXC fleet on the course's Proxmox cluster (docs/labs/proxmox.md).

The provider reads the endpoint and credentials from ``PROXMOX_VE_ENDPOINT`` and
``PROXMOX_VE_API_TOKEN`` (or ``PROXMOX_VE_USERNAME``/``PROXMOX_VE_PASSWORD``), never from
the stack file.
"""

from __future__ import annotations

import pulumi

from components.config import load_config
from components.config.proxmox import ProxmoxConfig
from components.proxmox.fleet import ContainerFleet, ContainerFleetArgs


def run(config: pulumi.Config) -> None:
    """Read ``cloudlab:proxmox``, build the fleet, export each container's id and node."""
    settings = load_config(ProxmoxConfig, config).proxmox
    fleet = ContainerFleet(f"ct-{settings.group}", ContainerFleetArgs(settings=settings))
    pulumi.export("vmIds", fleet.vm_ids)
    pulumi.export("nodes", fleet.nodes)
