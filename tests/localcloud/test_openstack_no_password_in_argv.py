"""The local OpenStack's setup puts no password on a command line (``ps`` shows argv to every
user of the machine): SQL goes to mariadb on stdin, keystone's bootstrap password through its
environment. Run against fake ``mariadb`` and ``keystone-manage`` executables that record what
they were given."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from localcloud.openstack import databases
from localcloud.openstack.config import load_secrets
from localcloud.openstack.layout import Layout

RECORDER = """#!/usr/bin/env python3
import json, os, sys
with open({log!r}, "a") as out:
    out.write(json.dumps({{"argv": sys.argv, "stdin": sys.stdin.read() if {stdin} else "",
                          "bootstrap": os.environ.get("OS_BOOTSTRAP_PASSWORD")}}) + "\\n")
"""


def _fake(path: Path, log: Path, *, stdin: bool) -> None:
    path.write_text(RECORDER.format(log=str(log), stdin=stdin))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path / "state", tmp_path / "cache")


def _calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_the_database_password_goes_to_mariadb_on_stdin(
    layout: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.jsonl"
    _fake(bin_dir / "mariadb", log, stdin=True)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    password = load_secrets(layout)["db"]
    databases.create_databases(layout)
    (call,) = _calls(log)
    assert not any(password in arg for arg in call["argv"]), call["argv"]
    assert f"IDENTIFIED BY '{password}'" in call["stdin"]  # the statement did get there


def test_keystone_bootstrap_reads_the_admin_password_from_its_environment(
    layout: Layout, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    keystone_manage = layout.bin("keystone-manage")
    keystone_manage.parent.mkdir(parents=True, exist_ok=True)
    _fake(keystone_manage, log, stdin=False)
    (layout.state / "logs").mkdir(parents=True, exist_ok=True)
    secrets = load_secrets(layout)
    every_argv = [
        arg for _, _, argvs in databases.migrations(layout).values() for a in argvs for arg in a
    ]
    assert not any(value in arg for value in secrets.values() for arg in every_argv)
    databases.migrate(layout, "keystone")
    calls = _calls(log)
    assert [c["argv"][1:2] + c["argv"][3:4] for c in calls][-1] == ["--config-file", "bootstrap"]
    bootstrap = calls[-1]
    assert bootstrap["bootstrap"] == secrets["admin"]
    assert not any(secrets["admin"] in arg for c in calls for arg in c["argv"])
    assert databases.migration_env(layout, "glance").get("OS_BOOTSTRAP_PASSWORD") is None
