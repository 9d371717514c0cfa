"""Apply a placement decision: set the stack's placement config, run ``pulumi up``.

Everything goes through a :class:`StackLike` (``pulumi.automation.Stack`` in real use), so
tests pass a fake and need no engine.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pulumi import automation as auto

from components.kubernetes.settings import WorkloadSettings

PLACEMENT_KEY = "cloudlab:workload.placement"
"""Path of the placement in the stack's config (``cloudlab:workload`` is an object)."""
PROJECT_DIR = Path(__file__).resolve().parents[1]


class StackLike(Protocol):
    """The part of ``pulumi.automation.Stack`` the migration uses."""

    @property
    def name(self) -> str: ...

    def get_config(self, key: str, *, path: bool = False) -> auto.ConfigValue: ...

    def set_config(self, key: str, value: auto.ConfigValue, *, path: bool = False) -> None: ...

    def outputs(self) -> Mapping[str, auto.OutputValue]: ...

    def up(self, *, on_output: Callable[[str], Any] | None = None) -> Any: ...


def open_stack(stack_name: str, work_dir: Path = PROJECT_DIR) -> StackLike:
    """The project's stack ``stack_name`` through a local workspace (needs the Pulumi CLI).

    In the project's environment (``make edge-migrate``, or after ``source scripts/env.sh``)
    its updates read the per-user copy of the stack config, as the other make targets do.
    """
    stack = auto.select_stack(stack_name=stack_name, work_dir=str(work_dir))
    if os.environ.get("CLOUDLAB_STACK_CONFIG_DIR"):
        return PerUserConfigStack(stack, work_dir / "scripts" / "stack-config.sh")
    return stack


class PerUserConfigStack:
    """An Automation API stack whose ``up`` passes the per-user copy of its config.

    Why: Pulumi writes its encryption salt into the config file an update reads; the make
    targets give it ``~/.cloudlab/stacks/Pulumi.<stack>.yaml`` (scripts/stack-config.sh) so that
    the tracked file only changes when a setting does. ``set_config`` still writes the tracked
    file: the placement is a setting, and the copy is re-made from it before the update.
    """

    def __init__(self, stack: auto.Stack, sync_script: Path) -> None:
        self._stack = stack
        self._sync = sync_script

    @property
    def name(self) -> str:
        return self._stack.name

    def get_config(self, key: str, *, path: bool = False) -> auto.ConfigValue:
        return self._stack.get_config(key, path=path)

    def set_config(self, key: str, value: auto.ConfigValue, *, path: bool = False) -> None:
        self._stack.set_config(key, value, path=path)

    def outputs(self) -> Mapping[str, auto.OutputValue]:
        return self._stack.outputs()

    def up(self, *, on_output: Callable[[str], Any] | None = None) -> Any:
        res = subprocess.run(
            [str(self._sync), self.name], capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            raise RuntimeError(f"{self._sync} {self.name} failed: {res.stderr.strip()}")
        return self._stack.up(on_output=on_output, config_file=res.stdout.strip())


def current_placement(stack: StackLike) -> str:
    """The stack's placement, or the default one when the config does not set it."""
    try:
        return stack.get_config(PLACEMENT_KEY, path=True).value
    except auto.CommandError:
        return WorkloadSettings(image="unused").placement


def worker_urls(stack: StackLike) -> dict[str, str]:
    """``{worker: url of the app's NodePort}`` from the stack's ``workerUrls`` output."""
    outputs = stack.outputs()
    if "workerUrls" not in outputs or not outputs["workerUrls"].value:
        raise LookupError(f"stack {stack.name} has no workerUrls output; pass --target")
    return {str(k): str(v) for k, v in outputs["workerUrls"].value.items()}


@dataclass(frozen=True)
class Migration:
    """What :func:`apply_placement` did (or, in a dry run, would do)."""

    stack: str
    source: str
    target: str
    applied: bool
    summary: str


def apply_placement(
    stack: StackLike,
    target: str,
    *,
    dry_run: bool,
    out: Callable[[str], Any] = print,
) -> Migration:
    """Set ``cloudlab:workload.placement`` to ``target`` and run ``up``; dry run only says so."""
    source = current_placement(stack)
    if source == target:
        summary = f"stack {stack.name}: already on {target}, nothing to do"
        out(summary)
        return Migration(stack.name, source, target, applied=False, summary=summary)
    plan = (
        f"stack {stack.name}: set {PLACEMENT_KEY} {source} -> {target}, then pulumi up "
        "(the Deployment's node affinity changes; pods roll onto the new worker)"
    )
    if dry_run:
        summary = f"dry run: would {plan}"
        out(summary)
        return Migration(stack.name, source, target, applied=False, summary=summary)
    out(plan)
    stack.set_config(PLACEMENT_KEY, auto.ConfigValue(value=target), path=True)
    result = stack.up(on_output=out)
    summary = f"stack {stack.name}: placement {source} -> {target} applied"
    changes = getattr(getattr(result, "summary", None), "resource_changes", None)
    if changes:
        summary += f" ({', '.join(f'{k}: {v}' for k, v in sorted(changes.items()))})"
    out(summary)
    return Migration(stack.name, source, target, applied=True, summary=summary)
