"""``edge migrate`` in the project's environment: the placement is written as a setting (the
tracked stack file), and the update then reads the per-user copy that scripts/stack-config.sh
re-makes from it, so Pulumi's salt never lands in the tracked file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from edge.migrate import PLACEMENT_KEY, PerUserConfigStack, apply_placement


class RecordingStack:
    """The part of ``auto.Stack`` the migration calls, recording the calls in order."""

    name = "kubernetes"

    def __init__(self, log: Path) -> None:
        self.log = log
        self.placement = "worker1"

    def record(self, line: str) -> None:
        with self.log.open("a") as f:
            f.write(line + "\n")

    def get_config(self, key: str, *, path: bool = False) -> auto.ConfigValue:
        return auto.ConfigValue(value=self.placement)

    def set_config(self, key: str, value: auto.ConfigValue, *, path: bool = False) -> None:
        self.record(f"set {key}={value.value}")
        self.placement = value.value

    def outputs(self) -> dict[str, auto.OutputValue]:
        return {}

    def up(self, *, on_output: Callable[[str], Any] | None = None, **kw: Any) -> Any:
        self.record(f"up config_file={kw.get('config_file')}")
        return None


def test_the_update_reads_the_copy_made_after_the_setting(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    sync = tmp_path / "stack-config.sh"
    sync.write_text(f'#!/bin/sh\necho "sync $1" >> {log}\necho {tmp_path}/Pulumi.$1.yaml\n')
    sync.chmod(0o755)
    inner = RecordingStack(log)
    stack = PerUserConfigStack(inner, sync)  # type: ignore[arg-type]

    migration = apply_placement(stack, "worker2", dry_run=False, out=lambda _: None)

    assert migration.applied
    assert log.read_text().splitlines() == [
        f"set {PLACEMENT_KEY}=worker2",
        "sync kubernetes",
        f"up config_file={tmp_path}/Pulumi.kubernetes.yaml",
    ]
