"""The VirtualBox lab (docs/labs/virtualbox.md) as ``VBoxManage`` commands run by
:class:`LocalCommand`.

Order (each step waits for the ones it needs; ``pulumi destroy`` undoes them in reverse):

    vm (import | createvm + storageattach) -> hardware (memory, cpus)
       -> nat (nic1 nat) -> clone (clonevm) -> forward (natpf1 ssh,tcp,<ip>,<port>,,22)
                                           -> clone's own forward (optional)
    vm -> disk copy (clonemedium, optional)

The clone is taken before the VM's forwarding rule exists, so the two VMs never claim the same
host port; the clone gets its own rule if configured. Every step that works on the VM has the
VM's resource id as a trigger: when the VM is re-created, its NAT, rule and clone are too.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.dynamic.command import LocalCommand, LocalCommandArgs
from components.virtualbox import commands
from components.virtualbox.commands import Step
from components.virtualbox.settings import VirtualBoxSettings


@dataclass
class VirtualBoxLabArgs:
    """Arguments of :class:`VirtualBoxLab`."""

    settings: VirtualBoxSettings
    """The VM's source, NAT rule, clone and disk copy."""


class VirtualBoxLab(pulumi.ComponentResource):
    """A NAT VM with an SSH forwarding rule, its clone and a disk copy, through VBoxManage."""

    vm: LocalCommand
    hardware: LocalCommand
    nat: LocalCommand
    forward: LocalCommand
    clone: LocalCommand | None
    clone_forward: LocalCommand | None
    disk_copy: LocalCommand | None
    ssh_endpoint: pulumi.Output[str]

    def __init__(
        self, name: str, args: VirtualBoxLabArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:virtualbox:VirtualBoxLab", name, None, opts)
        s = args.settings

        def command(
            suffix: str,
            step: Step,
            triggers: list[pulumi.Input[str]],
            after: list[pulumi.Resource],
        ) -> LocalCommand:
            return LocalCommand(
                f"{name}-{suffix}",
                LocalCommandArgs(
                    create=step.command, delete=step.delete, update=step.update, triggers=triggers
                ),
                pulumi.ResourceOptions(parent=self, depends_on=after),
            )

        self.vm = command("vm", commands.vm_step(s), [], [])
        on_vm = [self.vm.id]
        self.hardware = command("hardware", commands.hardware_step(s), on_vm, [self.vm])
        self.nat = command("nat", commands.nat_step(s), on_vm, [self.hardware])
        self.clone = None
        self.clone_forward = None
        before_forward: list[pulumi.Resource] = [self.nat]
        if s.clone is not None:
            self.clone = command("clone", commands.clone_step(s), on_vm, [self.nat])
            before_forward.append(self.clone)
            if s.clone.forward is not None:
                self.clone_forward = command(
                    "clone-forward",
                    commands.forward_step(s.vboxmanage, s.clone.name, s.clone.forward),
                    [self.clone.id],
                    [self.clone],
                )
        self.forward = command(
            "forward",
            commands.forward_step(s.vboxmanage, s.vm_name, s.forward),
            on_vm,
            before_forward,
        )
        self.disk_copy = None
        if s.disk_copy is not None:
            self.disk_copy = command("disk-copy", commands.disk_copy_step(s), [], [self.vm])

        host = s.forward.host_ip or "0.0.0.0"
        self.ssh_endpoint = pulumi.Output.from_input(f"{host}:{s.forward.host_port}")
        self.register_outputs({"ssh_endpoint": self.ssh_endpoint})
