"""The exact ``VBoxManage`` command lines of the VirtualBox lab, as pure functions.

Each step is a :class:`Step`: the shell command ``pulumi up`` runs and the one ``pulumi destroy``
runs to undo it (``None``: nothing to undo). Arguments are shell-quoted (paths with spaces).
"""

from __future__ import annotations

import shlex
import uuid
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
    cleanup: str | None = None
    """Run before ``create``: removes what an interrupted create of this step left behind
    (found by a mark that is ours only), so that a killed ``pulumi up`` run again completes."""
    finish: str | None = None
    """Run after ``create`` succeeded (e.g. removes the mark of a create under way)."""

    @property
    def command(self) -> str:
        """The whole create command line, clean-up and finish included."""
        command = self.create
        if self.cleanup:
            command = f"{self.cleanup}; {command}"
        if self.finish:
            command = f"{command} && {self.finish}"
        return command


def _line(*argvs: Sequence[str]) -> str:
    return " && ".join(shlex.join(argv) for argv in argvs)


VM_UUID_NAMESPACE = uuid.UUID("6f1c2d1e-7a53-4c55-9d0e-2b8f3c6a9e10")
"""Namespace of the VMs' deterministic UUIDs (:func:`vm_uuid`)."""


def vm_uuid(s: VirtualBoxSettings) -> str:
    """The UUID ``createvm`` registers the VM under: derived from its name and disk, so a
    re-run can tell its own leftover from a VM of the same name that someone else made."""
    return str(uuid.uuid5(VM_UUID_NAMESPACE, f"cloudlab:virtualbox:{s.vm_name}:{s.disk}"))


def leftover_cleanup(s: VirtualBoxSettings) -> str:
    """Shell that removes what an interrupted create of this VM left registered (found by its
    own UUID only): the disk is detached first, so ``unregistervm --delete`` removes the
    settings file (which would block ``createvm`` of the same name) but never the disk."""
    vbox, vm_id, ctl = shlex.quote(s.vboxmanage), vm_uuid(s), shlex.quote(s.storage_controller)
    detach = (
        f"{vbox} storageattach {vm_id} --storagectl {ctl} --port 0 --device 0 --type hdd "
        "--medium none >/dev/null 2>&1 || true"
    )
    return (
        f"if {vbox} showvminfo {vm_id} >/dev/null 2>&1; then {detach}; "
        f"{vbox} unregistervm {vm_id} --delete || exit $?; fi"
    )


def vm_step(s: VirtualBoxSettings) -> Step:
    """Register the VM: import the appliance, or create a VM and attach the configured disk.

    Destroy unregisters it; the imported disks go with it (``--delete``), a configured disk is
    only released (``closemedium`` without ``--delete``: the file stays).

    A created VM is re-runnable: it is registered under :func:`vm_uuid`, and the create first
    removes a VM of that UUID (what a ``pulumi up`` killed between ``createvm`` and
    ``storageattach`` leaves), so the next ``up`` completes instead of failing on "already
    exists".
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
        cleanup=leftover_cleanup(s),
        create=_line(
            [
                vbox,
                "createvm",
                "--name",
                vm,
                "--uuid",
                vm_uuid(s),
                "--ostype",
                s.os_type,
                "--register",
            ],
            [vbox, "storagectl", vm, "--name", ctl, "--add", "sata", "--controller", "IntelAhci"],
            [
                *[vbox, "storageattach", vm, "--storagectl", ctl, "--port", "0", "--device", "0"],
                *["--type", "hdd", "--medium", s.disk],
            ],
        ),
        # Detached first, so that --delete removes the settings file (left behind, it blocks
        # the next createvm of the name) and never the student's disk.
        delete=_line(
            [
                vbox,
                "storageattach",
                vm,
                "--storagectl",
                ctl,
                "--port",
                "0",
                "--device",
                "0",
                "--type",
                "hdd",
                "--medium",
                "none",
            ],
            [vbox, "unregistervm", vm, "--delete"],
            [vbox, "closemedium", "disk", s.disk],
        ),
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
    """The NAT port-forwarding rule ``ssh,tcp,<host ip>,<host port>,,22`` and its removal.

    Re-runnable: the create first removes a rule of the same name on this (our own) VM, which
    an ``up`` killed after the rule was added leaves behind (VirtualBox refuses a second one)."""
    leftover = shlex.join([vboxmanage, "modifyvm", vm, "--natpf1", "delete", forward.name])
    return Step(
        cleanup=f"{leftover} >/dev/null 2>&1",
        create=_line([vboxmanage, "modifyvm", vm, "--natpf1", forward.rule]),
        delete=_line([vboxmanage, "modifyvm", vm, "--natpf1", "delete", forward.name]),
    )


def clone_uuid(s: VirtualBoxSettings) -> str:
    """The UUID the clone is registered under (see :func:`vm_uuid`)."""
    assert s.clone is not None
    return str(
        uuid.uuid5(VM_UUID_NAMESPACE, f"cloudlab:virtualbox-clone:{s.vm_name}:{s.clone.name}")
    )


def clone_step(s: VirtualBoxSettings) -> Step:
    """A full clone, registered (new MAC addresses); destroy deletes it with its disks.

    Re-runnable as :func:`vm_step`: registered under :func:`clone_uuid`, and a clone of that
    UUID (an interrupted create's) is deleted first, its disks with it (they are copies)."""
    assert s.clone is not None
    vbox, clone_id = shlex.quote(s.vboxmanage), clone_uuid(s)
    leftover = (
        f"if {vbox} showvminfo {clone_id} >/dev/null 2>&1; then "
        f"{vbox} unregistervm {clone_id} --delete || exit $?; fi"
    )
    return Step(
        cleanup=leftover,
        create=_line(
            [
                s.vboxmanage,
                "clonevm",
                s.vm_name,
                "--name",
                s.clone.name,
                "--uuid",
                clone_id,
                "--register",
            ]
        ),
        delete=_line([s.vboxmanage, "unregistervm", s.clone.name, "--delete"]),
    )


def disk_copy_step(s: VirtualBoxSettings) -> Step:
    """``clonemedium`` of a disk (a new UUID, so both can be registered); destroy deletes it.

    Re-runnable: a marker file ``TARGET.cloudlab-partial`` exists while the copy runs; a create
    that finds it removes the half-made copy (ours, by the marker) before copying again. A
    target without the marker is never touched (``clonemedium`` refuses it)."""
    assert s.disk_copy is not None
    c = s.disk_copy
    vbox, target = shlex.quote(s.vboxmanage), shlex.quote(c.target)
    marker = shlex.quote(c.target + ".cloudlab-partial")
    leftover = (
        f"if [ -e {marker} ]; then {vbox} closemedium disk {target} --delete >/dev/null 2>&1 "
        f"|| rm -f {target}; rm -f {marker}; fi"
    )
    return Step(
        cleanup=f"{leftover}; touch {marker}",
        create=_line(
            [s.vboxmanage, "clonemedium", "disk", c.source, c.target, "--format", c.format]
        ),
        finish=f"rm -f {marker}",
        delete=_line([s.vboxmanage, "closemedium", "disk", c.target, "--delete"]),
    )
