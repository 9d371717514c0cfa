"""The virtualbox stack on the real Pulumi engine, ``up`` SIGKILLed at each step and run again:
the second ``up`` completes, with every VM, rule and disk made once. The fake VBoxManage
(tests/virtualbox/fakebin) hangs after the chosen call has done its work, and the test kills
the whole session of ``pulumi up`` (CLI, language host, provider, the command) there: nothing
gets to tidy up or record what it did. Needs `make toolchain` (fails without it)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.pulumi_project import PulumiProject
from tests.processes import kill_session
from tests.virtualbox.fake_lab import calls, fake_vbox_lab

pytestmark = pytest.mark.engine

STACK = "vboxkill"

#: Where the ``up`` is killed: right after a call that contains this text has done its work.
#: Mid-step (the VM registered, no disk yet) and at the end of each step, before the engine
#: records it.
STEPS = [
    "createvm",
    "storagectl",
    "storageattach lab-vm --storagectl SATA --port 0 --device 0 --type hdd --medium /",
    "--memory",
    "--nic1 nat",
    "clonevm",
    "--natpf1 ssh,tcp,127.0.0.1,2224",
    "clonemedium",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PulumiProject, Path]]:
    with fake_vbox_lab(tmp_path_factory.mktemp("vboxkill"), STACK) as made:
        yield made


def up_killed_at(project: PulumiProject, tmp: Path, step: str) -> None:
    """Start ``pulumi up``, SIGKILL its whole session once the fake has done ``step``."""
    paused = tmp / "paused"
    paused.unlink(missing_ok=True)
    env = {**project.env, "FAKE_VBOX_PAUSE_AT": step, "FAKE_VBOX_PAUSED": str(paused)}
    proc = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--stack", STACK],
        cwd=project.workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not paused.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the up ended, or never reached {step!r}, before the kill")
            time.sleep(0.05)
        kill_session(proc.pid)
    finally:
        proc.wait(timeout=30)


@pytest.mark.parametrize("step", STEPS)
def test_up_killed_at_each_step_is_completed_by_the_next_up(lab, step: str) -> None:
    project, tmp = lab
    project.run("destroy", "--yes", "--stack", STACK)
    (tmp / "state.json").unlink(missing_ok=True)
    (tmp / "calls.jsonl").unlink(missing_ok=True)
    (tmp / "VirtualBox VMs" / "ubuntu-copy.vdi").unlink(missing_ok=True)

    up_killed_at(project, tmp, step)
    res = project.run("up", "--yes", "--skip-preview", "--stack", STACK, check=False)
    if res.returncode != 0 and "locked" in (res.stdout + res.stderr):
        project.run("cancel", "--yes", "--stack", STACK)  # the killed update's lock
        res = project.run("up", "--yes", "--skip-preview", "--stack", STACK, check=False)
    assert res.returncode == 0, res.stdout + res.stderr

    state = json.loads((tmp / "state.json").read_text())
    vms = state["vms"]
    assert sorted(vms) == ["lab-vm", "lab-vm-clone"]
    assert vms["lab-vm"]["disks"] == [str(tmp / "VirtualBox VMs" / "ubuntu.vdi")]
    assert vms["lab-vm"]["controllers"] == ["SATA"]
    assert vms["lab-vm"]["natpf1"] == {"ssh": "ssh,tcp,127.0.0.1,2222,,22"}
    assert vms["lab-vm-clone"]["natpf1"] == {"ssh": "ssh,tcp,127.0.0.1,2224,,22"}
    assert (tmp / "VirtualBox VMs" / "ubuntu-copy.vdi").exists()
    assert sorted(state["media"]) == sorted(set(state["media"]))  # each disk registered once
    assert not (tmp / "VirtualBox VMs" / "ubuntu-copy.vdi.cloudlab-partial").exists()
    made = calls(tmp)
    # the interrupted step ran again; a step that had finished and was journaled did not
    assert sum(c[1] == "createvm" for c in made) == (2 if step in STEPS[:3] else 1)
    project.run("up", "--yes", "--expect-no-changes", "--stack", STACK)
