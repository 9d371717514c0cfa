"""A group's handout: its clouds.yaml entry, floating IP, calculator URL and VMs; private."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import yaml

from classroom.handout import render, write

CREDS = {
    "auth_url": "http://127.0.0.1:5000/v3",
    "username": "class-g01",
    "password": "Pw0rdPw0rdPw0rd",
    "project_name": "class-g01",
    "project_id": "p1",
    "user_domain_id": "default",
    "project_domain_id": "default",
    "region_name": "RegionOne",
}
OUTPUTS = {
    "floatingIp": "172.24.4.20",
    "calculatorUrl": "http://172.24.4.20:50005",
    "privateIps": {"calculator": "192.168.210.10", "sum": "192.168.210.11"},
}


def test_the_handout_holds_a_working_clouds_entry_and_the_lab() -> None:
    text = render("g01", "Group 1", CREDS, OUTPUTS, ssh_open=False)
    assert text.startswith("# Calculator lab: Group 1 (`g01`)")
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None
    entry = yaml.safe_load(block.group(1))["clouds"]["class-g01"]
    assert entry["auth"]["password"] == CREDS["password"]
    assert entry["auth"]["project_name"] == "class-g01"
    assert entry["region_name"] == "RegionOne"
    assert "`172.24.4.20`" in text and "http://172.24.4.20:50005" in text
    assert "| `sum` | `192.168.210.11` |" in text
    assert "SSH is closed" in text


def test_with_ssh_open_it_says_how_to_jump_through_the_calculator() -> None:
    text = render("g01", "Group 1", CREDS, OUTPUTS, ssh_open=True)
    assert "ssh -J ubuntu@172.24.4.20" in text


def test_it_is_written_for_its_owner_alone(tmp_path: Path) -> None:
    path = write(tmp_path / "handouts", "g01", "x")
    assert path.read_text() == "x"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
