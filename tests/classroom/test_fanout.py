"""The driver's fan-out: bounded, a failure is one group's result, one line per group, a
final table."""

from __future__ import annotations

import io
import threading
import time

from classroom.fanout import Outcome, fan_out, table


def test_at_most_workers_run_at_once_and_every_group_ends() -> None:
    running, peak, lock = 0, 0, threading.Lock()

    def job(group: str) -> Outcome:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return Outcome(group, f"group-{group}", "ok", url=f"http://{group}")

    out = io.StringIO()
    outcomes = fan_out([f"g{i}" for i in range(7)], job, 3, out)
    assert peak == 3
    assert [o.group for o in outcomes] == [f"g{i}" for i in range(7)]  # roster order
    lines = out.getvalue().splitlines()
    assert len(lines) == 7 and all(": ok in " in line for line in lines)
    assert lines[-1].startswith("[7/7")


def test_one_groups_failure_does_not_stop_the_others() -> None:
    def job(group: str) -> Outcome:
        if group == "g2":
            raise RuntimeError("boom\nerror: quota exceeded for instances")
        return Outcome(group, f"group-{group}", "ok")

    out = io.StringIO()
    outcomes = fan_out(["g1", "g2", "g3"], job, 2, out)
    assert [o.result for o in outcomes] == ["ok", "failed", "ok"]
    assert outcomes[1].detail == "error: quota exceeded for instances"
    assert "up g2: failed in" in out.getvalue()
    assert "quota exceeded" in out.getvalue()


def test_the_table_has_a_row_per_group_with_its_url() -> None:
    text = table(
        [
            Outcome("g1", "group-g1", "ok", 12.34, "http://172.24.4.10:50005"),
            Outcome("g2", "group-g2", "locked", 0.5),
        ]
    )
    lines = text.splitlines()
    assert lines[0].split() == ["group", "stack", "result", "duration", "calculator", "URL"]
    assert lines[2].split() == ["g1", "group-g1", "ok", "12.3s", "http://172.24.4.10:50005"]
    assert lines[3].split() == ["g2", "group-g2", "locked", "0.5s", "-"]
