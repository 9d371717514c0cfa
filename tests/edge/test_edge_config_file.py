"""``edge migrate`` in the project's environment: the placement goes into the per-user stack
config (the overrides that scripts/stack-config.sh applies to its copy), the update reads that
copy, and the tracked ``Pulumi.<stack>.yaml`` is never written (neither the placement nor
Pulumi's encryption salt)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from edge import migrate
from edge.migrate import PLACEMENT_KEY, PerUserConfigStack, apply_placement, overrides_path


class TrackedFileStack:
    """The part of ``auto.Stack`` the migration calls. Like the real one in the checkout, its
    ``set_config`` writes the tracked stack file; every call is recorded in order."""

    name = "kubernetes"

    def __init__(self, tracked: Path, log: Path) -> None:
        self.tracked, self.log = tracked, log
        tracked.write_text("config:\n  cloudlab:workload:\n    placement: worker1\n")

    def record(self, line: str) -> None:
        with self.log.open("a") as f:
            f.write(line + "\n")

    def get_config(self, key: str, *, path: bool = False) -> auto.ConfigValue:
        return auto.ConfigValue(value="worker1")

    def set_config(self, key: str, value: auto.ConfigValue, *, path: bool = False) -> None:
        self.record(f"set {key}={value.value}")
        self.tracked.write_text(f"encryptionsalt: v1:x\nconfig:\n  {key}: {value.value}\n")

    def outputs(self) -> dict[str, auto.OutputValue]:
        return {}

    def up(self, *, on_output: Callable[[str], Any] | None = None, **kw: Any) -> Any:
        self.record(f"up config_file={kw.get('config_file')} policy={kw.get('policy_packs')}")
        return None


@pytest.fixture
def setup(tmp_path: Path) -> tuple[PerUserConfigStack, TrackedFileStack, Path, Path]:
    log = tmp_path / "calls.log"
    config_dir = tmp_path / "stacks"
    sync = tmp_path / "stack-config.sh"
    sync.write_text(f'#!/bin/sh\necho "sync $1" >> {log}\necho {config_dir}/Pulumi.$1.yaml\n')
    sync.chmod(0o755)
    inner = TrackedFileStack(tmp_path / "Pulumi.kubernetes.yaml", log)
    stack = PerUserConfigStack(inner, sync, config_dir, tmp_path / "policy")  # type: ignore[arg-type]
    return stack, inner, config_dir, log


def test_the_tracked_stack_file_is_left_alone(setup) -> None:
    stack, inner, _, _ = setup
    before = inner.tracked.read_text()
    assert apply_placement(stack, "worker2", dry_run=False, out=lambda _: None).applied
    assert inner.tracked.read_text() == before


def test_the_placement_is_a_per_user_setting_the_update_reads(setup) -> None:
    stack, _, config_dir, log = setup
    apply_placement(stack, "worker2", dry_run=False, out=lambda _: None)
    assert overrides_path(config_dir, "kubernetes").read_text() == f"{PLACEMENT_KEY}=worker2\n"
    assert log.read_text().splitlines() == [
        "sync kubernetes",
        f"up config_file={config_dir}/Pulumi.kubernetes.yaml "
        f"policy={[str(config_dir.parent / 'policy')]}",  # the pack, as make up runs it
    ]
    assert stack.get_config(PLACEMENT_KEY, path=True).value == "worker2"
    # Back again: the one line is replaced, and a second migration sees where it is now.
    apply_placement(stack, "worker1", dry_run=False, out=lambda _: None)
    assert overrides_path(config_dir, "kubernetes").read_text() == f"{PLACEMENT_KEY}=worker1\n"


def test_a_secret_or_multi_line_setting_is_refused(setup) -> None:
    stack, _, _, _ = setup
    with pytest.raises(ValueError, match="only plain one-line settings"):
        stack.set_config(PLACEMENT_KEY, auto.ConfigValue(value="x", secret=True), path=True)
    with pytest.raises(ValueError, match="only plain one-line settings"):
        stack.set_config(PLACEMENT_KEY, auto.ConfigValue(value="a\nb"), path=True)


def test_open_stack_in_the_environment_needs_the_checkouts_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDLAB_STACK_CONFIG_DIR", str(tmp_path / "stacks"))
    monkeypatch.setattr(migrate.auto, "select_stack", lambda **kw: TrackedFileStack(
        tmp_path / "Pulumi.kubernetes.yaml", tmp_path / "log"))  # fmt: skip
    with pytest.raises(FileNotFoundError, match=r"stack-config\.sh is missing"):
        migrate.open_stack("kubernetes", tmp_path)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "stack-config.sh").write_text("#!/bin/sh\n")
    assert isinstance(migrate.open_stack("kubernetes", tmp_path), PerUserConfigStack)
    monkeypatch.delenv("CLOUDLAB_STACK_CONFIG_DIR")
    assert isinstance(migrate.open_stack("kubernetes", tmp_path), TrackedFileStack)
