"""Start, find and stop the local cloud's processes by PID, each in its own process group.

Each process is started in a new session (its PID is its group's ID), its output goes to a log
file in the state directory and its PID to ``run/<name>.pid``. Stopping sends SIGTERM to that group
only, waits (nova's services take about 10 s), then SIGKILLs what is left. A PID file is trusted
only if the live process's command line still carries the process's marker (a PID can be reused).
"""

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from localcloud.openstack.layout import HOST, Layout

# Popen objects of the processes this Python process started, so that stopping them also reaps
# them (otherwise they would linger as zombies of a long pytest session).
_CHILDREN: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class Proc:
    """One long-running process of the local cloud."""

    name: str
    argv: list[str]
    marker: str  # a string of its command line that proves a PID is still ours
    env: dict[str, str] = field(default_factory=dict)
    port: int | None = None
    stop_timeout_s: float = 30.0


def pid_file(layout: Layout, name: str) -> Path:
    """Where the PID of process ``name`` is recorded."""
    return layout.run / f"{name}.pid"


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm may hold spaces: fields start after the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def _alive(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def running_pid(layout: Layout, proc: Proc) -> int | None:
    """The PID of ``proc`` if it runs (and is still ours), else None."""
    path = pid_file(layout, proc.name)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    # A child of ours is ours even before it has exec'd (its cmdline is still Python's then:
    # checked right after the start, the marker would not be there yet).
    if _alive(pid) and (pid in _CHILDREN or proc.marker in _cmdline(pid)):
        return pid
    _reap(pid)
    return None


def group_pids(pgid: int) -> list[int]:
    """The live processes of process group ``pgid``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                pids.append(int(entry.name))
    return pids


def start(layout: Layout, proc: Proc) -> int:
    """Start ``proc`` in its own session, output appended to its log; returns its PID."""
    layout.run.mkdir(parents=True, exist_ok=True)
    layout.logs.mkdir(parents=True, exist_ok=True)
    log = layout.log(proc.name)
    with log.open("ab") as out:
        out.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} start {proc.name}\n".encode())
        out.flush()
        child = subprocess.Popen(
            proc.argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **proc.env},
            start_new_session=True,
            cwd=layout.state,
        )
    _CHILDREN[child.pid] = child
    pid_file(layout, proc.name).write_text(f"{child.pid}\n")
    return child.pid


def stop(layout: Layout, proc: Proc) -> bool:
    """SIGTERM the process's group, wait, then SIGKILL; True if something was running."""
    pid = running_pid(layout, proc)
    pid_file(layout, proc.name).unlink(missing_ok=True)
    if pid is None:
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + proc.stop_timeout_s
    while group_pids(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.2)
    if group_pids(pid):
        _signal_group(pid, signal.SIGKILL)
        while group_pids(pid):
            time.sleep(0.1)
    _reap(pid)
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _reap(pid: int) -> None:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        del _CHILDREN[pid]


def port_open(port: int, host: str = HOST) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Listener:
    """A listening TCP socket of one of our processes."""

    pid: int
    address: str
    port: int

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.address).is_loopback


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(int(target[8:-1]))
    return inodes


def _decode(hex_address: str) -> tuple[str, int]:
    """``0100007F:0CEA`` (or the 32-digit IPv6 form) as ("127.0.0.1", 3306)."""
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    # /proc/net prints each 32-bit word in host (little-endian) order.
    raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(raw)), int(port, 16)


def listeners(pids: list[int]) -> list[Listener]:
    """The TCP sockets in LISTEN state held by ``pids`` (as /proc/net/tcp and tcp6 show them in
    this process's network namespace)."""
    owner = {inode: pid for pid in pids for inode in _socket_inodes(pid)}
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                if fields[3] == "0A" and int(fields[9]) in owner:  # 0A: TCP_LISTEN
                    address, port = _decode(fields[1])
                    found.append(Listener(owner[int(fields[9])], address, port))
    return found


def pss_kib(pids: list[int]) -> int:
    """Proportional set size of ``pids`` in KiB (shared pages split between their users)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total
