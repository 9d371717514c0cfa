"""The VirtualBox lab's exact VBoxManage command lines, run through LocalCommand's provider
against the fake VBoxManage (tests/virtualbox/fakebin), create then delete."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

from components.dynamic.command import CommandFailedError, LocalCommandArgs, LocalCommandProvider
from components.virtualbox import commands
from components.virtualbox.commands import Step
from components.virtualbox.settings import parse_virtualbox_settings


def settings(**raw: Any):
    return parse_virtualbox_settings(raw)


def argvs(command: str | None) -> list[list[str]]:
    """The argvs of a ``a && b`` command line."""
    assert command is not None
    return [shlex.split(part) for part in command.split(" && ")]


def changes(calls: list[list[str]]) -> list[list[str]]:
    """The calls of a first create that made something: not the clean-ups' look-ups, nor
    their removals of a rule that is not there yet."""
    return [
        argv for argv in calls if argv[1] != "showvminfo" and argv[-3:-1] != ["--natpf1", "delete"]
    ]


def run(step: Step, what: str = "create", outs: dict[str, Any] | None = None) -> dict[str, Any]:
    provider = LocalCommandProvider()
    if what == "create":
        args = LocalCommandArgs(create=step.command, delete=step.delete, update=step.update)
        return provider.create(args.to_props()).outs
    assert outs is not None
    provider.delete("id", outs)
    return outs


class TestCommandLines:
    def test_vm_from_a_disk(self, disk: Path) -> None:
        step = commands.vm_step(settings(disk=str(disk)))
        d = str(disk)
        vm_id = commands.vm_uuid(settings(disk=str(disk)))
        assert step.cleanup == (
            f"if VBoxManage showvminfo {vm_id} >/dev/null 2>&1; then VBoxManage storageattach "
            f"{vm_id} --storagectl SATA --port 0 --device 0 --type hdd --medium none "
            f">/dev/null 2>&1 || true; VBoxManage unregistervm {vm_id} --delete || exit $?; fi"
        )
        assert step.command == f"{step.cleanup}; {step.create}"
        assert argvs(step.create) == [
            ["VBoxManage", "createvm", "--name", "lab-vm", "--uuid", vm_id, "--ostype",
             "Ubuntu_64", "--register"],
            ["VBoxManage", "storagectl", "lab-vm", "--name", "SATA", "--add", "sata",
             "--controller", "IntelAhci"],
            ["VBoxManage", "storageattach", "lab-vm", "--storagectl", "SATA", "--port", "0",
             "--device", "0", "--type", "hdd", "--medium", d],
        ]  # fmt: skip
        # The configured disk is the student's: released, never deleted.
        assert argvs(step.delete) == [
            ["VBoxManage", "storageattach", "lab-vm", "--storagectl", "SATA", "--port", "0",
             "--device", "0", "--type", "hdd", "--medium", "none"],
            ["VBoxManage", "unregistervm", "lab-vm", "--delete"],
            ["VBoxManage", "closemedium", "disk", d],
        ]  # fmt: skip
        assert f"'{d}'" in step.create  # the space in "VirtualBox VMs" is quoted

    def test_vm_from_an_appliance(self, appliance: Path) -> None:
        step = commands.vm_step(settings(appliance=str(appliance), vmName="ubuntu"))
        assert argvs(step.create) == [
            ["VBoxManage", "import", str(appliance), "--vsys", "0", "--vmname", "ubuntu"]
        ]
        assert argvs(step.delete) == [["VBoxManage", "unregistervm", "ubuntu", "--delete"]]

    def test_hardware_is_changed_in_place(self, disk: Path) -> None:
        step = commands.hardware_step(settings(disk=str(disk), memoryMb=1024, cpus=2))
        assert argvs(step.create) == [
            ["VBoxManage", "modifyvm", "lab-vm", "--memory", "1024", "--cpus", "2"]
        ]
        assert step.update == step.create
        assert step.delete is None

    def test_nat(self, disk: Path) -> None:
        step = commands.nat_step(settings(disk=str(disk)))
        assert argvs(step.create) == [["VBoxManage", "modifyvm", "lab-vm", "--nic1", "nat"]]
        assert argvs(step.delete) == [["VBoxManage", "modifyvm", "lab-vm", "--nic1", "none"]]

    @pytest.mark.parametrize(
        ("forward", "rule"),
        [
            ({}, "ssh,tcp,127.0.0.1,2222,,22"),  # defaults: this machine only, port 2222
            ({"hostIp": ""}, "ssh,tcp,,2222,,22"),  # every host address: neighbours get in
            ({"hostIp": "192.168.1.20", "hostPort": 800}, "ssh,tcp,192.168.1.20,800,,22"),
            ({"hostPort": 22}, "ssh,tcp,127.0.0.1,22,,22"),
        ],
    )
    def test_port_forwarding_rule(self, disk: Path, forward: dict, rule: str) -> None:
        s = settings(disk=str(disk), sshForward=forward)
        step = commands.forward_step(s.vboxmanage, s.vm_name, s.forward)
        assert argvs(step.create) == [["VBoxManage", "modifyvm", "lab-vm", "--natpf1", rule]]
        assert argvs(step.delete) == [
            ["VBoxManage", "modifyvm", "lab-vm", "--natpf1", "delete", "ssh"]
        ]

    def test_clone(self, disk: Path) -> None:
        step = commands.clone_step(settings(disk=str(disk), clone={"name": "lab-vm-2"}))
        clone_id = commands.clone_uuid(settings(disk=str(disk), clone={"name": "lab-vm-2"}))
        assert argvs(step.create) == [
            ["VBoxManage", "clonevm", "lab-vm", "--name", "lab-vm-2", "--uuid", clone_id,
             "--register"]
        ]  # fmt: skip
        assert step.cleanup == (
            f"if VBoxManage showvminfo {clone_id} >/dev/null 2>&1; then "
            f"VBoxManage unregistervm {clone_id} --delete || exit $?; fi"
        )
        assert argvs(step.delete) == [["VBoxManage", "unregistervm", "lab-vm-2", "--delete"]]

    def test_disk_copy(self, disk: Path, tmp_path: Path) -> None:
        target = str(tmp_path / "copy.vdi")
        step = commands.disk_copy_step(settings(disk=str(disk), diskCopy={"target": target}))
        assert argvs(step.create) == [
            ["VBoxManage", "clonemedium", "disk", str(disk), target, "--format", "VDI"]
        ]
        assert argvs(step.delete) == [["VBoxManage", "closemedium", "disk", target, "--delete"]]

    def test_vboxmanage_path_is_config(self, disk: Path) -> None:
        step = commands.nat_step(settings(disk=str(disk), vboxmanage="/opt/vbox/VBoxManage"))
        assert argvs(step.create)[0][0] == "/opt/vbox/VBoxManage"


def lab_steps(s) -> list[Step]:
    """The lab's steps in the order the component runs them."""
    return [
        commands.vm_step(s),
        commands.hardware_step(s),
        commands.nat_step(s),
        commands.clone_step(s),
        commands.forward_step(s.vboxmanage, s.vm_name, s.forward),
        commands.forward_step(s.vboxmanage, s.clone.name, s.clone.forward),
        commands.disk_copy_step(s),
    ]


class TestAgainstTheFakeVBoxManage:
    def test_create_then_delete_in_reverse_leaves_nothing(
        self, fake_vbox, disk: Path, tmp_path: Path
    ) -> None:
        target = tmp_path / "copy.vdi"
        s = settings(
            disk=str(disk),
            clone={"name": "lab-vm-clone", "sshForward": {"hostPort": 2224}},
            diskCopy={"target": str(target)},
        )
        steps = lab_steps(s)
        outs = [run(step) for step in steps]
        created = changes(fake_vbox.calls())
        assert created == [argv for step in steps for argv in argvs(step.create)]
        state = fake_vbox.state()
        assert state["vms"]["lab-vm"]["natpf1"] == {"ssh": "ssh,tcp,127.0.0.1,2222,,22"}
        assert state["vms"]["lab-vm"]["nic1"] == "nat"
        assert state["vms"]["lab-vm"]["memory"] == 2048
        # Cloned before the VM's rule existed: only its own rule, on another port.
        assert state["vms"]["lab-vm-clone"]["natpf1"] == {"ssh": "ssh,tcp,127.0.0.1,2224,,22"}
        assert target.read_bytes() == disk.read_bytes()

        fake_vbox.clear_log()
        for step, out in reversed(list(zip(steps, outs, strict=True))):
            run(step, "delete", out)
        deleted = fake_vbox.calls()
        assert deleted == [
            argv for step in reversed(steps) if step.delete for argv in argvs(step.delete)
        ]
        assert fake_vbox.state() == {"vms": {}, "media": []}
        assert disk.exists()  # the student's disk is kept
        assert not target.exists()  # the copy was ours

    def test_appliance_import(self, fake_vbox, appliance: Path) -> None:
        s = settings(appliance=str(appliance))
        outs = run(commands.vm_step(s))
        assert "lab-vm" in fake_vbox.state()["vms"]
        run(commands.vm_step(s), "delete", outs)
        assert fake_vbox.state()["vms"] == {}

    def test_the_fake_fails_on_invalid_arguments(self, fake_vbox, disk: Path) -> None:
        s = settings(disk=str(disk))
        run(commands.vm_step(s))
        bad = Step(create="VBoxManage modifyvm lab-vm --natpf1 ssh,icmp,,2222,,22", delete=None)
        with pytest.raises(CommandFailedError, match="invalid rule"):
            run(bad)
        with pytest.raises(CommandFailedError, match="Could not find a registered machine"):
            run(commands.nat_step(settings(disk=str(disk), vmName="other")))
        other = Step(create="VBoxManage createvm --name mine --register", delete=None)
        run(other)  # someone's own VM
        with pytest.raises(CommandFailedError, match="already exists"):
            run(commands.vm_step(settings(disk=str(disk), vmName="mine")))  # not ours: kept
        assert "uuid" not in fake_vbox.state()["vms"]["mine"]

    def test_an_interrupted_create_is_re_run_to_completion(self, fake_vbox, disk: Path) -> None:
        """``createvm --register`` ran, the ``up`` was killed before the disk was attached:
        the next create removes that leftover (its own UUID) and completes."""
        s = settings(disk=str(disk))
        step = commands.vm_step(s)
        createvm = " && ".join(shlex.join(a) for a in argvs(step.create)[:2])  # no disk yet
        run(Step(create=createvm, delete=None))
        assert fake_vbox.state()["vms"]["lab-vm"]["disks"] == []
        outs = run(step)
        machine = fake_vbox.state()["vms"]["lab-vm"]
        assert (machine["uuid"], machine["disks"]) == (commands.vm_uuid(s), [str(disk)])
        assert machine["controllers"] == ["SATA"]  # not twice
        run(step, "delete", outs)
        run(step)  # a VM made again after a destroy: the settings file was removed too
        assert disk.exists()

    def test_a_missing_disk_fails_the_create(self, fake_vbox, tmp_path: Path) -> None:
        s = settings(disk=str(tmp_path / "missing.vdi"))
        with pytest.raises(CommandFailedError, match="Could not find file for the medium"):
            run(commands.vm_step(s))
