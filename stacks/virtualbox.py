"""The VirtualBox lab (docs/labs/virtualbox.md): a NAT VM, its SSH forwarding rule, a clone, a disk
copy, as ``VBoxManage`` commands that ``pulumi destroy`` undoes."""

from __future__ import annotations

import pulumi

from components.config import load_config
from components.config.virtualbox import VirtualBoxConfig
from components.virtualbox import VirtualBoxLab, VirtualBoxLabArgs


def run(config: pulumi.Config) -> None:
    """Read ``cloudlab:virtualbox`` before registering anything, build the lab, export it."""
    settings = load_config(VirtualBoxConfig, config).virtualbox
    lab = VirtualBoxLab("vbox", VirtualBoxLabArgs(settings=settings))
    pulumi.export("vmName", settings.vm_name)
    pulumi.export("sshEndpoint", lab.ssh_endpoint)
    pulumi.export("sshRule", settings.forward.rule)
    pulumi.export("cloneName", settings.clone.name if settings.clone else None)
