"""The leftover-process check itself: it must find what a test leaves behind, however the
process hid (new session, cleared environment, parent gone), and :func:`kill_session` must end
what Pulumi's own process groups keep out of reach of ``killpg``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import Tracker, kill_session, read

TESTS = Path(__file__).resolve().parent


def wait_gone(pid: int, key: tuple[int, int], seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = read(pid)
        if now is None or now.key != key or now.state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_an_orphan_in_its_own_session_with_no_environment_is_found_and_ended() -> None:
    tracker = Tracker(mark_environment=False)
    # The shell starts the sleeper in a new session with an empty environment and exits: the
    # sleeper's parent is gone, as with a daemon or a killed engine's plugin.
    res = subprocess.run(
        ["sh", "-c", "setsid env -i sleep 300 >/dev/null 2>&1 & echo $!"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(res.stdout.strip())
    time.sleep(0.2)
    orphan = read(pid)
    assert orphan is not None, "the sleeper did not start"
    try:
        assert orphan.sid == pid  # its own session
        assert orphan.ppid == os.getpid()  # adopted by the session's subreaper, not by init
        assert orphan.key in {p.key for p in tracker.leftovers()}
    finally:
        Tracker.end([orphan])
    assert wait_gone(pid, orphan.key)
    assert orphan.key not in {p.key for p in tracker.leftovers()}


def test_a_process_older_than_the_session_is_not_counted() -> None:
    older = subprocess.Popen(["sleep", "300"])
    try:
        tracker = Tracker(mark_environment=False)
        assert older.pid not in {p.pid for p in tracker.leftovers()}
    finally:
        older.kill()
        older.wait()


def test_kill_session_reaches_a_child_in_its_own_process_group() -> None:
    """As ``pulumi up`` starts its plugins: ``killpg`` of the CLI's group misses the plugin;
    killing the session does not."""
    code = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen(['sleep', '300'], process_group=0)\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(300)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert parent.stdout is not None
        child = read(int(parent.stdout.readline()))
        assert child is not None
        assert child.pgid != parent.pid and child.sid == parent.pid
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        time.sleep(0.2)
        assert not wait_gone(child.pid, child.key, seconds=0.5), "killpg reached the child"
        killed = kill_session(parent.pid)
        assert child.key in {p.key for p in killed}
        assert wait_gone(child.pid, child.key)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        kill_session(parent.pid)


def test_a_session_that_leaves_a_process_fails_and_ends_it(tmp_path: Path) -> None:
    """The session-end hook of tests/conftest.py, in a pytest of its own: a passing test that
    leaves a sleeper behind makes the session fail, and the sleeper is gone afterwards."""
    pid_file = tmp_path / "pid"
    (tmp_path / "test_leaves.py").write_text(
        "import subprocess\n"
        "def test_leaves():\n"
        "    p = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
        f"    open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
    )
    res = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest"),
            *("-p", "no:cacheprovider"),
            *("--rootdir", str(tmp_path), str(tmp_path / "test_leaves.py")),
        ],
        cwd=tmp_path,
        # The repository: tests.conftest and what it imports (localcloud, tests.harness)
        env={**os.environ, "PYTHONPATH": str(TESTS.parent)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert res.returncode == pytest.ExitCode.TESTS_FAILED, res.stdout + res.stderr
    assert "1 passed" in res.stdout and "leftover processes" in res.stdout, res.stdout
    pid = int(pid_file.read_text())
    assert f"pid {pid} " in res.stdout
    assert read(pid) is None or read(pid).state == "Z"
