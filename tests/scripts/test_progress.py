"""scripts/lib/progress.sh, the progress helpers of the build scripts: a long step prints a
heartbeat naming its log until it ends and not after, a failure shows the log's tail with the
command's exit status, and a wait on a lock names the process holding it."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROGRESS = REPO / "scripts" / "lib" / "progress.sh"


def bash(script: str, tmp_path: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``script`` with the helpers sourced, heartbeats every second, logs under tmp_path."""
    prelude = (
        f"set -euo pipefail; . {PROGRESS}; PROGRESS_PREFIX=t; PROGRESS_HEARTBEAT=1; "
        f"export CLOUDLAB_CACHE={tmp_path}; "
    )
    return subprocess.run(
        ["bash", "-c", prelude + script],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_long_step_beats_until_it_ends_and_then_stops(tmp_path: Path) -> None:
    res = bash(
        'log=$(progress_log_file demo); echo "$log"; '
        'progress_run "demo step" "$log" bash -c "sleep 3.5; echo built"; '
        "echo END >&2; sleep 2.5",
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    log = Path(res.stdout.strip())
    assert log.parent == tmp_path / "logs"
    assert "built" in log.read_text()
    before, after = res.stderr.split("END\n")
    beats = re.findall(r"^t: demo step: still running, (\d+)s; tail -f (\S+)$", before, re.M)
    assert len(beats) >= 2, res.stderr
    assert {path for _, path in beats} == {str(log)}
    assert [int(s) for s, _ in beats] == sorted(int(s) for s, _ in beats)
    assert after == "", "the heartbeat went on after the step ended"


def test_a_failing_step_keeps_its_status_and_shows_the_log(tmp_path: Path) -> None:
    res = bash(
        'log=$(progress_log_file demo); rc=0; progress_run "broken" "$log" '
        'bash -c "echo compile error here; exit 7" || rc=$?; echo "rc=$rc"',
        tmp_path,
    )
    assert res.stdout.strip().endswith("rc=7")
    assert "compile error here" in res.stderr
    assert re.search(r"^t: broken failed \(exit 7\); full log: \S+/logs/demo-", res.stderr, re.M)


def test_a_wait_on_a_lock_names_its_holder(tmp_path: Path) -> None:
    lock = tmp_path / "build.lock"
    holder = subprocess.Popen(["flock", str(lock), "sleep", "3"])
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # wait until the holder has the lock
            busy = subprocess.run(["flock", "-n", str(lock), "true"], check=False)
            if busy.returncode != 0:
                break
            time.sleep(0.05)
        script = f'exec 9>"{lock}"; progress_lock 9 "{lock}" "the other build"; echo got'
        res = bash(script, tmp_path)
    finally:
        holder.wait(timeout=10)
    assert res.returncode == 0 and res.stdout.strip() == "got", res.stderr
    assert f"lock {lock} is held by PID {holder.pid} (flock {lock} sleep 3)" in res.stderr
    assert re.search(r"^t: lock free after \d+s$", res.stderr, re.M)
