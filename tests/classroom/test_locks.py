"""A locked stack's owner, read from Pulumi's refusal, and what the driver says about it."""

from __future__ import annotations

import socket
import subprocess

from classroom.locks import LockOwner, describe, lock_owner

REFUSAL = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) "
    "to end or delete the lock file with `pulumi cancel`.\n"
    "  postgres://pulumi@127.0.0.1:5432/pulumi/.pulumi/locks/organization/cloudlab/group-g01/"
    "1f.json: created by teacher@{host} (pid {pid}) at 2026-12-06T21:00:00Z\n"
)


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_the_owner_is_read_from_the_refusal() -> None:
    owner = lock_owner(REFUSAL.format(host="runner-7", pid=4242))
    assert owner == LockOwner("teacher", "runner-7", 4242, "2026-12-06T21:00:00Z")
    assert str(owner) == "teacher@runner-7 (pid 4242) since 2026-12-06T21:00:00Z"


def test_other_errors_are_not_locks() -> None:
    assert lock_owner("error: quota exceeded") is None


def test_a_gone_holder_on_this_host_is_stale_and_the_cancel_command_is_given() -> None:
    owner = lock_owner(REFUSAL.format(host=socket.gethostname(), pid=dead_pid()))
    assert owner is not None and owner.stale
    text = describe("group-g01", owner, "/w/group-g01")
    assert "no longer running" in text
    assert "pulumi cancel --yes --stack group-g01" in text


def test_a_running_holder_is_not_stale() -> None:
    import os

    owner = lock_owner(REFUSAL.format(host=socket.gethostname(), pid=os.getpid()))
    assert owner is not None and not owner.stale
    assert "another update is running" in describe("group-g01", owner, "/w")
    remote = lock_owner(REFUSAL.format(host="elsewhere", pid=1))
    assert remote is not None and not remote.stale
