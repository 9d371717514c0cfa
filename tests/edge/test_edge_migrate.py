"""Applying the decision through a fake Automation API stack, and the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from edge.cli import main
from edge.migrate import PLACEMENT_KEY, apply_placement, current_placement

ROOT = Path(__file__).resolve().parents[2]


class FakeStack:
    """The slice of ``pulumi.automation.Stack`` the migration uses, recording every call."""

    def __init__(self, placement: str | None = "worker1", urls: Mapping[str, str] | None = None):
        self.name = "kubernetes"
        self.config: dict[str, str] = {} if placement is None else {PLACEMENT_KEY: placement}
        self.urls = dict(urls or {})
        self.calls: list[tuple[Any, ...]] = []

    def get_config(self, key: str, *, path: bool = False) -> auto.ConfigValue:
        self.calls.append(("get_config", key, path))
        if key not in self.config:
            raise auto.CommandError(auto.CommandResult("", "config not found", 255))
        return auto.ConfigValue(value=self.config[key])

    def set_config(self, key: str, value: auto.ConfigValue, *, path: bool = False) -> None:
        self.calls.append(("set_config", key, value.value, path))
        self.config[key] = value.value

    def outputs(self) -> dict[str, auto.OutputValue]:
        return {"workerUrls": auto.OutputValue(value=self.urls, secret=False)}

    def up(self, *, on_output: Callable[[str], Any] | None = None) -> Any:
        self.calls.append(("up", self.config.get(PLACEMENT_KEY)))
        if on_output:
            on_output("Updating (kubernetes): ~ fastapi-app-deployment")
        return None


def names(stack: FakeStack) -> list[str]:
    return [call[0] for call in stack.calls]


def test_apply_sets_the_placement_path_then_runs_up() -> None:
    stack, lines = FakeStack(), []
    result = apply_placement(stack, "worker2", dry_run=False, out=lines.append)
    assert result.applied and (result.source, result.target) == ("worker1", "worker2")
    assert ("set_config", "cloudlab:workload.placement", "worker2", True) in stack.calls
    assert names(stack)[-2:] == ["set_config", "up"]
    assert stack.calls[-1] == ("up", "worker2")
    assert any("fastapi-app-deployment" in line for line in lines)


def test_dry_run_changes_nothing_and_says_what_it_would_do() -> None:
    stack, lines = FakeStack(), []
    result = apply_placement(stack, "worker2", dry_run=True, out=lines.append)
    assert not result.applied
    assert "set_config" not in names(stack) and "up" not in names(stack)
    assert lines == [result.summary]
    assert "would" in result.summary and "worker1 -> worker2" in result.summary


def test_same_placement_is_a_no_op() -> None:
    stack = FakeStack(placement="worker2")
    assert not apply_placement(stack, "worker2", dry_run=False, out=lambda _: None).applied
    assert names(stack) == ["get_config"]


def test_unset_placement_is_the_default_worker() -> None:
    assert current_placement(FakeStack(placement=None)) == "worker1"


def write_series(tmp_path: Path, rounds: list[dict[str, float | None]]) -> Path:
    path = tmp_path / "series.json"
    path.write_text(json.dumps(rounds))
    return path


CLOSER_WORKER2 = [{"worker1": 30.0, "worker2": 5.0}] * 3


def run_cli(argv: list[str], stack: FakeStack | None = None) -> tuple[int, str]:
    out = io.StringIO()

    def factory(name: str) -> FakeStack:
        assert stack is not None, "this command must not open a stack"
        assert name == "kubernetes"
        return stack

    code = main(argv, stack_factory=factory, out=out, sleep=lambda _: None)
    return code, out.getvalue()


def test_cli_migrate_dry_run(tmp_path: Path) -> None:
    stack = FakeStack()
    series = write_series(tmp_path, CLOSER_WORKER2)
    code, out = run_cli(["migrate", "--dry-run", "--series", str(series)], stack)
    assert code == 0
    assert (
        "dry run: would stack kubernetes: set cloudlab:workload.placement worker1 -> worker2" in out
    )
    assert "set_config" not in names(stack) and "up" not in names(stack)


def test_cli_migrate_applies(tmp_path: Path) -> None:
    stack = FakeStack()
    series = write_series(tmp_path, CLOSER_WORKER2)
    code, out = run_cli(["migrate", "--series", str(series)], stack)
    assert code == 0
    assert stack.calls[-1] == ("up", "worker2")
    assert "placement worker1 -> worker2 applied" in out


def test_cli_migrate_keeps_a_flapping_placement(tmp_path: Path) -> None:
    stack = FakeStack()
    flapping = [{"worker1": 30.0, "worker2": 5.0}, {"worker1": 5.0, "worker2": 30.0}] * 4
    code, out = run_cli(["migrate", "--series", str(write_series(tmp_path, flapping))], stack)
    assert code == 0
    assert "stay on worker1" in out
    assert "up" not in names(stack)


def test_cli_decide_without_a_stack(tmp_path: Path) -> None:
    rounds = [{"worker1": None, "worker2": 40.0}] * 3  # worker1 unreachable
    code, out = run_cli(
        ["decide", "--current", "worker1", "--series", str(write_series(tmp_path, rounds))]
    )
    assert code == 0
    assert json.loads(out.strip().splitlines()[-1]) == {
        "current": "worker1",
        "placement": "worker2",
    }


def test_cli_measure_targets(fake_workers) -> None:
    near, far = fake_workers(), fake_workers(delay=0.05)
    code, out = run_cli(
        [
            "measure",
            "--requests",
            "2",
            "--target",
            f"worker1={far.url}",
            "--target",
            f"worker2={near.url}",
        ]
    )
    assert code == 0
    latencies = json.loads(out)
    assert latencies["worker1"] > latencies["worker2"]
    assert (near.hits, far.hits) == (2, 2)


def test_cli_live_migration_from_stack_outputs(fake_workers) -> None:
    near, far = fake_workers(), fake_workers(delay=0.06)
    stack = FakeStack(urls={"worker1": far.url, "worker2": near.url})
    code, out = run_cli(
        ["migrate", "--dry-run", "--rounds", "3", "--requests", "1", "--margin-ms", "20"], stack
    )
    assert code == 0
    assert len([line for line in out.splitlines() if line.startswith("{")]) == 3
    assert "would stack kubernetes: set cloudlab:workload.placement worker1 -> worker2" in out
    assert "up" not in names(stack)
    assert (near.hits, far.hits) == (3, 3)


def test_cli_rejects_a_bad_target() -> None:
    with pytest.raises(SystemExit):
        run_cli(["measure", "--target", "worker1"])


def test_python_dash_m_edge(tmp_path: Path) -> None:
    series = write_series(tmp_path, CLOSER_WORKER2)
    done = subprocess.run(
        [sys.executable, "-m", "edge", "decide", "--current", "worker1", "--series", str(series)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"placement": "worker2"' in done.stdout
