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
SYNC_SCRIPT = Path("scripts") / "stack-config.sh"
"""The checkout's script that makes the per-user copy of a stack's config (relative to it)."""
POLICY_PACK = Path("policy")
"""The checkout's policy pack (relative to it), run on every update as the make targets do."""


class StackLike(Protocol):
    """The part of ``pulumi.automation.Stack`` the migration uses."""

    @property
    def name(self) -> str: ...

    def get_config(self, key: str, *, path: bool = False) -> auto.ConfigValue: ...

    def set_config(self, key: str, value: auto.ConfigValue, *, path: bool = False) -> None: ...

    def outputs(self) -> Mapping[str, auto.OutputValue]: ...

    def up(self, *, on_output: Callable[[str], Any] | None = None) -> Any: ...


def open_stack(stack_name: str, work_dir: Path | None = None) -> StackLike:
    """The stack ``stack_name`` of the Pulumi project in ``work_dir`` (default: the current
    directory) through a local workspace (needs the Pulumi CLI).

    In cloudlab's checkout and environment (``make edge-migrate``, or after ``source
    scripts/env.sh``), the placement goes into the per-user stack config and the update reads
    it, as the other make targets do: the tracked ``Pulumi.<stack>.yaml`` is never written. In
    a project of your own (no ``CLOUDLAB_STACK_CONFIG_DIR``), the stack's own config file is
    the place of its settings, as with ``pulumi config set``.
    """
    work_dir = Path.cwd() if work_dir is None else work_dir
    stack = auto.select_stack(stack_name=stack_name, work_dir=str(work_dir))
    config_dir = os.environ.get("CLOUDLAB_STACK_CONFIG_DIR")
    if config_dir:
        sync = work_dir / SYNC_SCRIPT
        if not sync.is_file():
            raise FileNotFoundError(
                f"CLOUDLAB_STACK_CONFIG_DIR is set but {sync} is missing: run from cloudlab's "
                "checkout, or unset it to use the stack's own config file"
            )
        return PerUserConfigStack(stack, sync, Path(config_dir), work_dir / POLICY_PACK)
    return stack


def overrides_path(config_dir: Path, stack: str) -> Path:
    """The per-user settings of ``stack`` that scripts/stack-config.sh applies to its copy."""
    return config_dir / f"Pulumi.{stack}.overrides"


def read_overrides(path: Path) -> dict[str, str]:
    """``{config path: value}`` of an overrides file (``key=value`` lines)."""
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            found[key] = value
    return found


class PerUserConfigStack:
    """An Automation API stack whose settings and updates use the per-user stack config.

    Why: ``pulumi config set`` and ``pulumi up`` write into the config file they read (the
    setting, and Pulumi's encryption salt), and the tracked ``Pulumi.<stack>.yaml`` must not
    change because a migration ran. The make targets give Pulumi a per-user copy,
    ``$CLOUDLAB_STACK_CONFIG_DIR/Pulumi.<stack>.yaml`` (scripts/stack-config.sh), re-made from
    the tracked file on every sync; a setting made here goes into the per-user overrides next to
    it (:func:`overrides_path`), which every sync applies to the copy, so later ``make up`` and
    ``make preview`` keep the placement too.
    """

    def __init__(
        self,
        stack: auto.Stack,
        sync_script: Path,
        config_dir: Path,
        policy_pack: Path | None = None,
    ) -> None:
        self._stack = stack
        self._sync = sync_script
        self._overrides = overrides_path(config_dir, stack.name)
        self._policy_pack = policy_pack

    @property
    def name(self) -> str:
        return self._stack.name

    def get_config(self, key: str, *, path: bool = False) -> auto.ConfigValue:
        mine = read_overrides(self._overrides)
        if key in mine:
            return auto.ConfigValue(value=mine[key])
        return self._stack.get_config(key, path=path)

    def set_config(self, key: str, value: auto.ConfigValue, *, path: bool = False) -> None:
        if value.secret or not path or "\n" in value.value or "=" in key:
            raise ValueError(f"{key}: only plain one-line settings by path go to the overrides")
        mine = {**read_overrides(self._overrides), key: value.value}
        self._overrides.parent.mkdir(parents=True, exist_ok=True)
        self._overrides.write_text("".join(f"{k}={v}\n" for k, v in mine.items()))

    def outputs(self) -> Mapping[str, auto.OutputValue]:
        return self._stack.outputs()

    def up(self, *, on_output: Callable[[str], Any] | None = None) -> Any:
        res = subprocess.run(
            [str(self._sync), self.name], capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            raise RuntimeError(f"{self._sync} {self.name} failed: {res.stderr.strip()}")
        policy: dict[str, Any] = {}
        if self._policy_pack is not None:  # as `make up` does: the pack, and its stack config
            policy["policy_packs"] = [str(self._policy_pack)]
            config = self._policy_pack / f"{self.name}.json"
            if config.exists():
                policy["policy_pack_configs"] = [str(config)]
        return self._stack.up(on_output=on_output, config_file=res.stdout.strip(), **policy)


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
