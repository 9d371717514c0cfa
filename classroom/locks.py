"""A locked stack: who holds the lock, whether the holder is gone, and what clears it.

Pulumi's DIY backends (file, PostgreSQL, S3) keep one lock object per stack while an update
runs; a second update is refused with the lock's owner ("created by USER@HOST (pid N) at
TIME"). When that process is gone (a killed driver, a rebooted runner) the lock stays until
``pulumi cancel`` removes it: the driver never removes it itself, it says so.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass

LOCKED = "the stack is currently locked"
_OWNER = re.compile(
    r"created by (?P<user>[^@\s]+)@(?P<host>\S+) \(pid (?P<pid>\d+)\) at (?P<at>\S+)"
)


@dataclass(frozen=True)
class LockOwner:
    user: str
    host: str
    pid: int
    at: str

    def __str__(self) -> str:
        return f"{self.user}@{self.host} (pid {self.pid}) since {self.at}"

    @property
    def stale(self) -> bool:
        """The holder ran on this host and is gone (another host's holder: not known)."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


def lock_owner(error_text: str) -> LockOwner | None:
    """The owner of the lock named in a ``pulumi`` error, or ``None`` if it is not a lock."""
    if LOCKED not in error_text:
        return None
    found = _OWNER.search(error_text)
    if found is None:
        return LockOwner("unknown", "unknown", 0, "unknown")
    return LockOwner(found["user"], found["host"], int(found["pid"]), found["at"])


def cancel_command(stack: str, work_dir: str) -> str:
    """The command that clears the lock of ``stack`` (in the driver's workspace)."""
    return f"(cd {work_dir} && pulumi cancel --yes --stack {stack})"


def describe(stack: str, owner: LockOwner, work_dir: str) -> str:
    """What the driver reports for a locked stack."""
    if owner.stale:
        return (
            f"locked by {owner}, which is no longer running: clear the stale lock with "
            f"`{cancel_command(stack, work_dir)}`, then run the command again"
        )
    return (
        f"locked by {owner}: another update is running; wait for it, or if it is gone, "
        f"`{cancel_command(stack, work_dir)}`"
    )
