"""One Automation API ``LocalWorkspace`` per stack, over the project's own program.

Each stack gets a directory of its own (``<work>/<stack>/``): the project's files linked, not
copied, and its ``Pulumi.<stack>.yaml`` written from the class's config, so no tracked file is
ever written and two stacks never share a workspace (one ``pulumi`` process per stack). The
encryption salt Pulumi adds to a stack file is kept when the file is rewritten.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

REPO = Path(__file__).resolve().parents[1]
PROGRAM = ("Pulumi.yaml", "__main__.py", "requirements.txt", "components", "stacks", "services")


def stack_dir(work: Path, stack: str) -> Path:
    """The workspace of ``stack``: the program's files linked, ``venv`` too."""
    path = work / stack
    path.mkdir(parents=True, exist_ok=True)
    for name in (*PROGRAM, "venv"):
        link = path / name
        if not link.is_symlink():
            link.symlink_to(REPO / name)
    return path


def write_stack_config(path: Path, stack: str, config: Mapping[str, Any]) -> None:
    """``Pulumi.<stack>.yaml`` with ``config``, keeping its ``encryptionsalt``."""
    file = path / f"Pulumi.{stack}.yaml"
    document: dict[str, Any] = {}
    if file.exists():
        old = yaml.safe_load(file.read_text()) or {}
        if isinstance(old, dict) and old.get("encryptionsalt"):
            document["encryptionsalt"] = old["encryptionsalt"]
    document["config"] = dict(config)
    file.write_text(yaml.safe_dump(document, sort_keys=False))


def open_stack(
    work: Path,
    stack: str,
    config: Mapping[str, Any] | None,
    env: Mapping[str, str],
    create: bool = True,
) -> auto.Stack:
    """The stack ``stack`` in its own workspace (created when ``create``), its config written
    first when given; ``env`` is every ``pulumi`` command's environment."""
    path = stack_dir(work, stack)
    if config is not None:
        write_stack_config(path, stack, config)
    workspace = auto.LocalWorkspace(work_dir=str(path), env_vars=dict(env))
    if create:
        return create_or_select(stack, workspace)
    return auto.Stack.select(stack, workspace)


def create_or_select(stack: str, workspace: auto.LocalWorkspace) -> auto.Stack:
    """The stack, created when missing; when another driver creates it at the same moment
    (two teachers on one shared backend), the one it created."""
    try:
        return auto.Stack.select(stack, workspace)
    except auto.StackNotFoundError:
        pass
    try:
        return auto.Stack.create(stack, workspace)
    except auto.CommandError as error:
        # "already exists", or the DIY backend's listing caught mid-write by the other
        # driver's create ("could not list bucket: ... no rows in result set"): the stack
        # is the other driver's, once its create has finished.
        for _attempt in range(10):
            try:
                return auto.Stack.select(stack, workspace)
            except auto.StackNotFoundError:
                time.sleep(1)
        raise error


def engine_env(backend: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the ``pulumi`` processes: the caller's, the backend URL when given,
    nothing fetched from the network, and ``extra`` (e.g. ``OS_CLOUD``)."""
    env = dict(os.environ)
    if backend:
        env["PULUMI_BACKEND_URL"] = backend
    env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    env.setdefault("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
    # A workspace's stack file has no salt until its first update there (another teacher's
    # workspace, a fresh clone): take the one recorded in the stack's state.
    env.setdefault("PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER", "true")
    env.update(extra or {})
    return env
