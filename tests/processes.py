"""The processes a test session starts, read from ``/proc``: who they are, and ending them.

Why: ``pulumi up`` starts its plugins in process groups of their own (the CLI's
``cmdutil.RegisterProcessGroup``), so killing the CLI's group leaves the language host and the
dynamic provider running, orphaned, listening on loopback ports. Tests that kill an engine on
purpose end its whole *session* instead (:func:`kill_session`): a ``Popen(...,
start_new_session=True)`` child is a session leader, and every process it starts stays in its
session unless it calls ``setsid`` itself.

The session-end check (``tests/conftest.py``) uses :class:`Tracker`: pytest becomes a child
subreaper, so an orphan started anywhere below it is re-parented to pytest instead of init and
stays in its process tree; what is below pytest at the end of the session, and was not there at
the start, was left behind by a test. Processes are identified by (PID, start time), never by
name. A test that starts something meant to outlive the session on purpose (a local cloud kept
for later runs) says so with :func:`keep_running`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
PR_SET_CHILD_SUBREAPER = 36
MARKER = "CLOUDLAB_TEST_SESSION"
"""Environment variable every process of a test session inherits (a second net: it also finds a
process that was started through something outside pytest's process tree)."""

_KEPT: dict[tuple[int, int], str] = {}


@dataclass(frozen=True)
class Proc:
    """One process as ``/proc/<pid>/stat`` shows it."""

    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    start: int
    """Start time in clock ticks since boot: with the PID, identifies the process."""

    @property
    def key(self) -> tuple[int, int]:
        return (self.pid, self.start)

    def cmdline(self) -> str:
        try:
            raw = (PROC / str(self.pid) / "cmdline").read_bytes()
        except OSError:
            return "?"
        return raw.replace(b"\0", b" ").decode(errors="replace").strip()[:200] or "?"

    def environ_has(self, name: str, value: str) -> bool:
        try:
            raw = (PROC / str(self.pid) / "environ").read_bytes()
        except OSError:
            return False
        return f"{name}={value}".encode() in raw.split(b"\0")


def read(pid: int) -> Proc | None:
    """The process ``pid`` now, or None when it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = text[text.rindex(")") + 2 :].split()
    return Proc(
        pid=pid,
        ppid=int(fields[1]),
        pgid=int(fields[2]),
        sid=int(fields[3]),
        state=fields[0],
        start=int(fields[19]),
    )


def snapshot() -> dict[int, Proc]:
    """Every process on the machine, by PID."""
    out: dict[int, Proc] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            proc = read(int(entry.name))
            if proc is not None:
                out[proc.pid] = proc
    return out


def descendants(root: int, procs: dict[int, Proc]) -> list[Proc]:
    """Every process below ``root`` in ``procs`` (children, their children, ...)."""
    children: dict[int, list[Proc]] = {}
    for proc in procs.values():
        children.setdefault(proc.ppid, []).append(proc)
    out: list[Proc] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child.pid)
    return out


def kill_session(sid: int, timeout: float = 10.0) -> list[Proc]:
    """SIGKILL every process of session ``sid`` until none is left; the ones it found."""
    killed: dict[tuple[int, int], Proc] = {}
    deadline = time.monotonic() + timeout
    while True:
        members = [p for p in snapshot().values() if p.sid == sid and p.state != "Z"]
        if not members:
            return list(killed.values())
        if time.monotonic() > deadline:
            raise TimeoutError(f"session {sid} still has {[p.cmdline() for p in members]}")
        for proc in members:
            killed[proc.key] = proc
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
        time.sleep(0.05)


def keep_running(pid: int, why: str) -> None:
    """Let ``pid`` and what runs below it outlive the test session (say ``why``)."""
    proc = read(pid)
    if proc is not None:
        _KEPT[proc.key] = why


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux ``prctl``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def reap_zombies() -> None:
    """Collect the exit status of every finished child (orphans re-parented to us)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Tracker:
    """What a test session started and left running.

    ``Tracker()`` at session start records the processes that exist, makes this process a
    subreaper and sets :data:`MARKER` in its environment; :meth:`leftovers` at the end lists the
    processes that are new and either below this process or carry the marker.
    """

    def __init__(self, mark_environment: bool = True) -> None:
        self.root = os.getpid()
        self.token = os.environ.get(MARKER, "")
        if mark_environment:
            self.token = f"{self.root}-{time.time_ns()}"
            os.environ[MARKER] = self.token
        self.subreaper = become_subreaper()
        self.baseline = {p.key for p in snapshot().values()}

    def leftovers(self) -> list[Proc]:
        """New live processes of this session (without the kept ones and their descendants)."""
        procs = snapshot()
        kept: set[int] = set()
        for proc in procs.values():
            if proc.key in _KEPT:
                kept.add(proc.pid)
                kept.update(p.pid for p in descendants(proc.pid, procs))
        below = {p.pid for p in descendants(self.root, procs)}
        out = []
        for proc in procs.values():
            if proc.key in self.baseline or proc.pid in kept or proc.state == "Z":
                continue
            if proc.pid == self.root:
                continue
            if proc.pid in below or (self.token and proc.environ_has(MARKER, self.token)):
                out.append(proc)
        return out

    def wait_for_none(self, seconds: float) -> list[Proc]:
        """:meth:`leftovers`, after giving processes that are exiting ``seconds`` to finish."""
        deadline = time.monotonic() + seconds
        while True:
            reap_zombies()
            found = self.leftovers()
            if not found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    @staticmethod
    def end(procs: list[Proc]) -> None:
        """SIGKILL ``procs`` (those still the same processes) and reap them."""
        for proc in procs:
            now = read(proc.pid)
            if now is not None and now.key == proc.key:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
        time.sleep(0.2)
        reap_zombies()
