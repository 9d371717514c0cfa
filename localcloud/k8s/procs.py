"""Start and stop the control-plane daemons by PID file.

Each daemon runs in its own session (so a Ctrl-C in the shell that ran `make k8s` does not kill
it), logs to its own file, and is recorded as "PID EXECUTABLE". Before signalling a PID we check
that it still runs that executable, so a stale PID file can never make us kill an unrelated
process that reused the number.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from localcloud.k8s.layout import Layout


def _read(layout: Layout, component: str) -> tuple[int, str] | None:
    try:
        pid, exe = layout.pidfile(component).read_text().split(maxsplit=1)
        return int(pid), exe.strip()
    except (OSError, ValueError):
        return None


def _runs(pid: int, exe: str) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)") == exe
    except OSError:
        return False


_STARTED: dict[int, subprocess.Popen] = {}
"""The processes this one started: ours by PID even before they have exec'd."""


def pid_of(layout: Layout, component: str) -> int | None:
    """The PID of ``component`` if it is running (per its PID file), else None.

    A child of ours counts while it runs even before its exec: right after the fork its
    ``/proc/PID/exe`` is still Python, and a readiness check then would call it dead.
    """
    rec = _read(layout, component)
    if rec is None:
        return None
    child = _STARTED.get(rec[0])
    if child is not None and child.poll() is None:
        return rec[0]
    if _runs(*rec):
        return rec[0]
    return None


def start(layout: Layout, component: str, argv: list[str]) -> int:
    """Launch ``argv`` detached, appending to the component's log; return its PID."""
    layout.logs.mkdir(parents=True, exist_ok=True)
    layout.run.mkdir(parents=True, exist_ok=True)
    exe = os.path.realpath(argv[0])
    with layout.log(component).open("ab") as log:
        log.write(f"\n==== {time.strftime('%FT%TZ', time.gmtime())} {' '.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            [exe, *argv[1:]],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=layout.home,
            start_new_session=True,
        )
    _STARTED[proc.pid] = proc
    layout.pidfile(component).write_text(f"{proc.pid} {exe}\n")
    return proc.pid


def _gone(pid: int) -> bool:
    # Reap it if it is our child (a test started it in this process), then check /proc.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        with Path(f"/proc/{pid}/stat").open() as fh:
            return fh.read().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


def stop(layout: Layout, component: str, timeout: float = 20.0) -> str | None:
    """SIGTERM, wait up to ``timeout`` s, then SIGKILL.

    Returns None if it was not running, else "terminated" or "killed".
    """
    rec = _read(layout, component)
    layout.pidfile(component).unlink(missing_ok=True)
    if not rec or not _runs(*rec):
        return None
    pid = rec[0]
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _gone(pid):
            return "terminated"
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    while not _gone(pid):
        time.sleep(0.1)
    return "killed"


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` in MiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
