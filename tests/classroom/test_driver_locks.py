"""The driver's wait on the classroom stack's lock: while its holder lives it waits; a holder
that just ended is given a second look; the same lock twice with its holder gone is stale and
reported with the command that clears it."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from pulumi import automation as auto

from classroom.driver import Driver, Options
from cloudlab_tools.pulumi_cli import REPO


def refusal(pid: int) -> auto.CommandError:
    text = (
        "error: the stack is currently locked by 1 lock(s). Either wait for the other "
        "process(es) to end or delete the lock file with `pulumi cancel`.\n  file:///s/.pulumi/"
        f"locks/organization/cloudlab/classroom/x.json: created by root@{socket.gethostname()}"
        f" (pid {pid}) at 2026-12-06T21:00:00Z"
    )
    return auto.errors.create_command_error(auto.CommandResult(stdout="", stderr=text, code=255))


class Stack:
    def __init__(self, errors: list[auto.CommandError]) -> None:
        self.errors, self.calls = errors, 0

    def up(self, **_: object) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)


def driver(tmp: Path, stack: Stack) -> Driver:
    d = Driver(
        Options(
            config_file=REPO / "Pulumi.classroom.yaml",
            work=tmp / "w",
            handouts=tmp / "h",
            out=io.StringIO(),
            lock_wait=60,
        )
    )
    d.classroom = lambda create=True: stack  # type: ignore[method-assign]
    return d


def gone() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_it_waits_while_the_holder_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "sleep", lambda _: None)
    stack = Stack([refusal(os.getpid()), refusal(os.getpid())])
    d = driver(tmp_path, stack)
    assert d.up_classroom() is None
    assert stack.calls == 3
    assert d.out.getvalue().count(": waiting") == 2


def test_a_holder_that_just_ended_gets_a_second_look(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "sleep", lambda _: None)
    stack = Stack([refusal(gone())])
    assert driver(tmp_path, stack).up_classroom() is None
    assert stack.calls == 2


def test_the_same_lock_twice_with_its_holder_gone_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "sleep", lambda _: None)
    dead = gone()
    stack = Stack([refusal(dead), refusal(dead), refusal(dead)])
    outcome = driver(tmp_path, stack).up_classroom()
    assert outcome is not None and outcome.result == "locked"
    assert f"(pid {dead})" in outcome.detail and "no longer running" in outcome.detail
    assert "pulumi cancel --yes --stack classroom" in outcome.detail
    assert stack.calls == 2
