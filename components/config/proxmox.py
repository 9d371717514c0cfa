"""``proxmox``: the group's LXC fleet."""

from __future__ import annotations

from components.proxmox.settings import ProxmoxSettings
from components.settings import EnvironmentConfig, required


class ProxmoxConfig(EnvironmentConfig):
    """``proxmox``: the group's LXC fleet on the course's Proxmox cluster (the endpoint and
    credentials come from ``PROXMOX_VE_*`` variables, never from the stack file)."""

    proxmox: ProxmoxSettings = required("an object with at least group and baseId")
    """The container fleet."""
