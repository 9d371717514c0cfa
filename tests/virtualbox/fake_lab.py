"""The VirtualBox lab on the real engine with the fake ``VBoxManage`` (tests/virtualbox/fakebin):
a project whose stack runs the lab against it, the calls it received and the VMs it holds."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from tests.engine.pulumi_project import PulumiProject, make_project

FAKE_BIN = Path(__file__).resolve().parent / "fakebin"


@contextlib.contextmanager
def fake_vbox_lab(tmp: Path, stack: str) -> Iterator[tuple[PulumiProject, Path]]:
    """A project in ``tmp`` with stack ``stack`` (the virtualbox config, its disks under
    ``tmp``), ``VBoxManage`` on PATH being the fake; destroyed on exit."""
    project = make_project(tmp)
    project.env.update(
        PATH=f"{FAKE_BIN}{os.pathsep}{project.env['PATH']}",
        FAKE_VBOX_LOG=str(tmp / "calls.jsonl"),
        FAKE_VBOX_STATE=str(tmp / "state.json"),
    )
    vms = tmp / "VirtualBox VMs"
    vms.mkdir()
    (vms / "ubuntu.vdi").write_bytes(b"disk")
    project.stack(stack, config_from="virtualbox")
    for path, value in (
        ("cloudlab:virtualbox.disk", str(vms / "ubuntu.vdi")),
        ("cloudlab:virtualbox.diskCopy.target", str(vms / "ubuntu-copy.vdi")),
    ):
        project.run("config", "set", "--path", path, value, "--stack", stack)
    try:
        yield project, tmp
    finally:
        project.run("destroy", "--yes", "--stack", stack, check=False)


def calls(tmp: Path) -> list[list[str]]:
    """Every ``VBoxManage`` call the fake received, in order."""
    log = tmp / "calls.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def state(tmp: Path) -> dict:
    """The fake's VMs and disks."""
    return json.loads((tmp / "state.json").read_text())
