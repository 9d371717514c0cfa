"""The exact ``VBoxManage`` command lines of the VirtualBox lab, as pure functions.

Each step is a :class:`Step`: the shell command ``pulumi up`` runs and the one ``pulumi destroy``
runs to undo it (``None``: nothing to undo). Arguments are shell-quoted (paths with spaces).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from components.virtualbox.settings import PortForward, VirtualBoxSettings


@dataclass(frozen=True)
class Step:
    """A command and its undo."""

    create: str
    delete: str | None
    update: str | None = None
    """Run in place instead of a replacement when ``create`` changes (``None``: replace)."""


def _line(*argvs: Sequence[str]) -> str:
    return " && ".join(shlex.join(argv) for argv in argvs)


def vm_step(s: VirtualBoxSettings) -> Step:
    """Register the VM: import the appliance, or create a VM and attach the configured disk.

    Destroy unregisters it; the imported disks go with it (``--delete``), a configured disk is
    only released (``closemedium`` without ``--delete``: the file stays).
    """
    vbox, vm = s.vboxmanage, s.vm_name
    if s.appliance is not None:
        return Step(
            create=_line([vbox, "import", s.appliance, "--vsys", "0", "--vmname", vm]),
            delete=_line([vbox, "unregistervm", vm, "--delete"]),
        )
    assert s.disk is not None
    ctl = s.storage_controller
    return Step(
        create=_line(
            [vbox, "createvm", "--name", vm, "--ostype", s.os_type, "--register"],
            [vbox, "storagectl", vm, "--name", ctl, "--add", "sata", "--controller", "IntelAhci"],
            [
                *[vbox, "storageattach", vm, "--storagectl", ctl, "--port", "0", "--device", "0"],
                *["--type", "hdd", "--medium", s.disk],
            ],
        ),
        delete=_line([vbox, "unregistervm", vm], [vbox, "closemedium", "disk", s.disk]),
    )


def hardware_step(s: VirtualBoxSettings) -> Step:
    """Memory and CPUs, changed in place (the VM must be powered off, as for any modifyvm)."""
    command = _line(
        [s.vboxmanage, "modifyvm", s.vm_name, "--memory", str(s.memory_mb), "--cpus", str(s.cpus)]
    )
    return Step(create=command, delete=None, update=command)


def nat_step(s: VirtualBoxSettings) -> Step:
    """First adapter in NAT mode (the guest gets 10.0.2.15; nothing reaches in uninvited)."""
    return Step(
        create=_line([s.vboxmanage, "modifyvm", s.vm_name, "--nic1", "nat"]),
        delete=_line([s.vboxmanage, "modifyvm", s.vm_name, "--nic1", "none"]),
    )


def forward_step(vboxmanage: str, vm: str, forward: PortForward) -> Step:
    """The NAT port-forwarding rule ``ssh,tcp,<host ip>,<host port>,,22`` and its removal."""
    return Step(
        create=_line([vboxmanage, "modifyvm", vm, "--natpf1", forward.rule]),
        delete=_line([vboxmanage, "modifyvm", vm, "--natpf1", "delete", forward.name]),
    )


def clone_step(s: VirtualBoxSettings) -> Step:
    """A full clone, registered (new MAC addresses); destroy deletes it with its disks."""
    assert s.clone is not None
    return Step(
        create=_line([s.vboxmanage, "clonevm", s.vm_name, "--name", s.clone.name, "--register"]),
        delete=_line([s.vboxmanage, "unregistervm", s.clone.name, "--delete"]),
    )


def disk_copy_step(s: VirtualBoxSettings) -> Step:
    """``clonemedium`` of a disk (a new UUID, so both can be registered); destroy deletes it."""
    assert s.disk_copy is not None
    c = s.disk_copy
    return Step(
        create=_line(
            [s.vboxmanage, "clonemedium", "disk", c.source, c.target, "--format", c.format]
        ),
        delete=_line([s.vboxmanage, "closemedium", "disk", c.target, "--delete"]),
    )
