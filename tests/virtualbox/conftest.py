"""A fake ``VBoxManage`` on PATH (tests/virtualbox/fakebin) recording every call."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.virtualbox.fake_lab import FAKE_BIN


@dataclass
class FakeVBox:
    """Where the fake writes; ``calls()`` are the argvs it got, in order."""

    log: Path
    state_file: Path
    env: dict[str, str]

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def state(self) -> dict[str, Any]:
        if not self.state_file.exists():
            return {"vms": {}, "media": []}
        return json.loads(self.state_file.read_text())

    def clear_log(self) -> None:
        self.log.unlink(missing_ok=True)


@pytest.fixture
def fake_vbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeVBox:
    env = {
        "PATH": f"{FAKE_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_VBOX_LOG": str(tmp_path / "vbox-calls.jsonl"),
        "FAKE_VBOX_STATE": str(tmp_path / "vbox-state.json"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return FakeVBox(Path(env["FAKE_VBOX_LOG"]), Path(env["FAKE_VBOX_STATE"]), env)


@pytest.fixture
def disk(tmp_path: Path) -> Path:
    """A stand-in for the student's VM disk (a space in the path, as in ~/VirtualBox VMs)."""
    folder = tmp_path / "VirtualBox VMs"
    folder.mkdir()
    path = folder / "ubuntu-20.04.vdi"
    path.write_bytes(b"<<< Oracle VM VirtualBox Disk Image >>>\n")
    return path


@pytest.fixture
def appliance(tmp_path: Path) -> Path:
    path = tmp_path / "ubuntu-20.04.ova"
    path.write_bytes(b"ova")
    return path
