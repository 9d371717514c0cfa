"""The virtualbox stack on the real Pulumi engine, with the fake VBoxManage on PATH:
up runs every create command once, a second up runs nothing, a new host port swaps only the
rule, destroy undoes everything. Needs `make toolchain` (fails without it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.pulumi_project import PulumiProject
from tests.virtualbox.fake_lab import calls, fake_vbox_lab, state

pytestmark = pytest.mark.engine

STACK = "vboxtest"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PulumiProject, Path]]:
    with fake_vbox_lab(tmp_path_factory.mktemp("vbox"), STACK) as made:
        yield made


def test_up_runs_every_command_once_then_nothing(lab) -> None:
    project, tmp = lab
    project.run("up", "--yes", "--stack", STACK)
    made = calls(tmp)
    assert [c[1] for c in made].count("createvm") == 1
    assert ["VBoxManage", "modifyvm", "lab-vm", "--natpf1", "ssh,tcp,127.0.0.1,2222,,22"] in made
    clonevm = [c for c in made if c[1] == "clonevm"]
    assert [c[:5] for c in clonevm] == [
        ["VBoxManage", "clonevm", "lab-vm", "--name", "lab-vm-clone"]
    ]
    assert made.index(clonevm[0]) < made.index(
        ["VBoxManage", "modifyvm", "lab-vm", "--natpf1", "ssh,tcp,127.0.0.1,2222,,22"]
    )  # fmt: skip
    vms = state(tmp)["vms"]
    assert sorted(vms) == ["lab-vm", "lab-vm-clone"]
    assert vms["lab-vm"]["natpf1"] == {"ssh": "ssh,tcp,127.0.0.1,2222,,22"}
    assert vms["lab-vm-clone"]["natpf1"] == {"ssh": "ssh,tcp,127.0.0.1,2224,,22"}
    assert (tmp / "VirtualBox VMs" / "ubuntu-copy.vdi").exists()
    assert project.output("sshEndpoint", STACK) == "127.0.0.1:2222"

    project.run("up", "--yes", "--expect-no-changes", "--stack", STACK)
    assert calls(tmp) == made  # idempotent: nothing ran


def test_a_new_host_port_swaps_only_the_rule(lab) -> None:
    project, tmp = lab
    before = len(calls(tmp))
    project.run(
        "config", "set", "--path", "cloudlab:virtualbox.sshForward.hostPort", "2225",
        "--stack", STACK,
    )  # fmt: skip
    project.run("up", "--yes", "--stack", STACK)
    assert calls(tmp)[before:] == [
        ["VBoxManage", "modifyvm", "lab-vm", "--natpf1", "delete", "ssh"],  # the old rule's delete
        ["VBoxManage", "modifyvm", "lab-vm", "--natpf1", "delete", "ssh"],  # the clean-up: none
        ["VBoxManage", "modifyvm", "lab-vm", "--natpf1", "ssh,tcp,127.0.0.1,2225,,22"],
    ]


def test_destroy_undoes_everything(lab) -> None:
    project, tmp = lab
    project.run("destroy", "--yes", "--stack", STACK)
    assert state(tmp) == {"media": [], "vms": {}}
    assert (tmp / "VirtualBox VMs" / "ubuntu.vdi").exists()
    assert not (tmp / "VirtualBox VMs" / "ubuntu-copy.vdi").exists()
    deleted = [c for c in calls(tmp) if c[1] in ("unregistervm", "closemedium")]
    assert deleted[-1][:2] == ["VBoxManage", "closemedium"]
