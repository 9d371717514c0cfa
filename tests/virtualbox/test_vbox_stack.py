"""The virtualbox stack under mocks: its steps, their order, triggers, and config validation."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.errors import ConfigError
from tests.harness import Recording, run_program

CMD = "pulumi-python:dynamic/cloudlab/local:Command"
LAB = "cloudlab:virtualbox:VirtualBoxLab"


def run_virtualbox(vbox: dict[str, Any], recording: Recording | None = None) -> Recording:
    import stacks.virtualbox

    def program() -> None:
        stacks.virtualbox.run(pulumi.Config("cloudlab"))

    config = {"cloudlab:environment": "virtualbox", "cloudlab:virtualbox": vbox}
    return run_program(program, config, recording=recording)


FULL = {
    "disk": "/vms/ubuntu.vdi",
    "clone": {"name": "lab-vm-clone", "sshForward": {"hostPort": 2224}},
    "diskCopy": {"target": "/vms/ubuntu-copy.vdi"},
}


@pytest.fixture
def full() -> Recording:
    return run_virtualbox(FULL)


def test_every_step_is_a_command_inside_the_lab(full: Recording) -> None:
    names = sorted(r.name for r in full.of_type(CMD))
    assert names == sorted(
        [
            "vbox-vm",
            "vbox-hardware",
            "vbox-nat",
            "vbox-clone",
            "vbox-clone-forward",
            "vbox-forward",
            "vbox-disk-copy",
        ]
    )
    assert all(r.parent_type == LAB for r in full.of_type(CMD))


def test_every_step_but_hardware_has_a_delete(full: Recording) -> None:
    for r in full.of_type(CMD):
        assert ("delete" in r.inputs) == (r.name != "vbox-hardware"), r.name
    assert (
        full.named("vbox-hardware").inputs["update"] == full.named("vbox-hardware").inputs["create"]
    )


def test_the_forwarding_rule_and_exports(full: Recording) -> None:
    forward = full.named("vbox-forward").inputs
    assert forward["create"] == (
        # a rule an interrupted create added first goes (VirtualBox refuses a second one)
        "VBoxManage modifyvm lab-vm --natpf1 delete ssh >/dev/null 2>&1; "
        "VBoxManage modifyvm lab-vm --natpf1 ssh,tcp,127.0.0.1,2222,,22"
    )
    assert forward["delete"] == "VBoxManage modifyvm lab-vm --natpf1 delete ssh"
    assert full.exports == {
        "vmName": "lab-vm",
        "sshEndpoint": "127.0.0.1:2222",
        "sshRule": "ssh,tcp,127.0.0.1,2222,,22",
        "cloneName": "lab-vm-clone",
    }


def test_order_clone_before_the_rule_and_after_nat(full: Recording) -> None:
    urn = {r.name: r.urn for r in full.of_type(CMD)}
    deps = {r.name: r.dependencies for r in full.of_type(CMD)}
    assert urn["vbox-vm"] in deps["vbox-hardware"]
    assert urn["vbox-hardware"] in deps["vbox-nat"]
    assert urn["vbox-nat"] in deps["vbox-clone"]
    assert {urn["vbox-nat"], urn["vbox-clone"]} <= deps["vbox-forward"]
    assert urn["vbox-clone"] in deps["vbox-clone-forward"]
    assert urn["vbox-vm"] in deps["vbox-disk-copy"]


def test_steps_on_the_vm_are_redone_when_the_vm_is_recreated(full: Recording) -> None:
    for name in ("vbox-hardware", "vbox-nat", "vbox-clone", "vbox-forward"):
        assert full.named(name).inputs["triggers"] == ["vbox-vm-id"], name
    assert full.named("vbox-clone-forward").inputs["triggers"] == ["vbox-clone-id"]


def test_minimal_lab_has_no_clone_nor_copy() -> None:
    rec = run_virtualbox({"appliance": "/vms/lab.ova", "sshForward": {"hostIp": ""}})
    assert sorted(r.name for r in rec.of_type(CMD)) == [
        "vbox-forward", "vbox-hardware", "vbox-nat", "vbox-vm",
    ]  # fmt: skip
    assert rec.named("vbox-vm").inputs["create"] == (
        "VBoxManage import /vms/lab.ova --vsys 0 --vmname lab-vm"
    )
    assert rec.named("vbox-forward").inputs["create"].endswith("--natpf1 ssh,tcp,,2222,,22")
    assert rec.exports["sshEndpoint"] == "0.0.0.0:2222"


@pytest.mark.parametrize(
    ("raw", "key", "message"),
    [
        ({}, "cloudlab:virtualbox.disk", "exactly one of disk and appliance"),
        ({"disk": "/a.vdi", "appliance": "/a.ova"}, "cloudlab:virtualbox.disk", "both"),
        ({"appliance": "/a.vdi"}, "cloudlab:virtualbox.appliance", "not an appliance"),
        ({"disk": "/a.vdi", "sshForward": {"hostIp": "localhost"}},
         "cloudlab:virtualbox.sshForward.hostIp", "not an IPv4 address"),
        ({"disk": "/a.vdi", "sshForward": {"hostPort": 70000}},
         "cloudlab:virtualbox.sshForward.hostPort", "expected a port"),
        ({"disk": "/a.vdi", "sshForward": {"protocol": "icmp"}},
         "cloudlab:virtualbox.sshForward.protocol", "unknown protocol"),
        ({"disk": "/a.vdi", "sshForward": {"name": "ssh,evil"}},
         "cloudlab:virtualbox.sshForward.name", "not a usable name"),
        ({"disk": "/a.vdi", "clone": {"name": "lab-vm"}},
         "cloudlab:virtualbox.clone.name", "the VM's own name"),
        ({"disk": "/a.vdi", "clone": {"sshForward": {}}},
         "cloudlab:virtualbox.clone.sshForward.hostPort", "already the VM's forwarded port"),
        ({"appliance": "/a.ova", "diskCopy": {"target": "/b.vdi"}},
         "cloudlab:virtualbox.diskCopy.source", "missing"),
        ({"disk": "/a.vdi", "diskCopy": {"target": "/a.vdi"}},
         "cloudlab:virtualbox.diskCopy.target", "the source itself"),
        ({"disk": "/a.vdi", "memory": 1}, "cloudlab:virtualbox.memory", "unknown setting"),
        ({"disk": "/a.vdi", "cpus": 0}, "cloudlab:virtualbox.cpus", "expected a CPU count"),
    ],
)  # fmt: skip
def test_invalid_config_fails_before_anything_is_registered(raw, key, message) -> None:
    rec = Recording()
    with pytest.raises(ConfigError, match=message) as error:
        run_virtualbox(raw, recording=rec)
    assert error.value.key == key
    assert rec.resources == []
