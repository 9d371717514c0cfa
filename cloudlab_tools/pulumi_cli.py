"""Drive the real Pulumi CLI on a throwaway copy of the project.

The copy keeps the repository clean (``pulumi stack init`` writes an encryption salt into
``Pulumi.<stack>.yaml``); the state lives in a file backend next to the copy, and the plugins in
the copy's own ``PULUMI_HOME``. The engine is the one ``make toolchain`` built
(``scripts/toolchain.sh``). Failures raise :class:`PulumiToolError` with what to do next.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt")
PROJECT_DIRS = ("components", "stacks", "services")


class PulumiToolError(RuntimeError):
    """The toolchain or a plugin is missing, or a ``pulumi`` command failed."""


def backend_url(state: Path) -> str:
    """A file backend in ``state``, as scripts/env.sh makes the user's.

    ``metadata=skip``: the file backend's blob library writes each checkpoint's ``.attrs``
    sidecar by truncating and rewriting it, so a stack that reads its own outputs while an update
    writes them (the openstack stack does, for the resize warning and the quota pre-flight) could
    read it empty and fail with "failed to load checkpoint: EOF" (seen once in six runs). Without
    the sidecar the checkpoint is written by rename alone, atomically.
    """
    return f"file://{state}?metadata=skip"


def _toolchain(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO / "scripts" / "toolchain.sh"), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def toolchain_bin() -> Path:
    """The bin dir of ``make toolchain``."""
    res = _toolchain("--bin-dir")
    if res.returncode != 0 or not res.stdout.strip():
        raise PulumiToolError("no Pulumi toolchain: run `make toolchain` (scripts/toolchain.sh)")
    return Path(res.stdout.strip())


def plugin_bin(name: str) -> Path:
    """The resource plugin ``name`` built by ``make toolchain``."""
    res = _toolchain("--plugin-bin", name)
    if res.returncode != 0 or not res.stdout.strip():
        why = res.stderr.strip()
        raise PulumiToolError(f"no pulumi-resource-{name} plugin: run `make toolchain` ({why})")
    return Path(res.stdout.strip())


def plugin_version(name: str) -> str:
    """The version scripts/plugins/<name>.sh builds (its ``PLUGIN_VERSION=`` line)."""
    script = (REPO / "scripts" / "plugins" / f"{name}.sh").read_text()
    for line in script.splitlines():
        if line.startswith("PLUGIN_VERSION="):
            return line.split("=", 1)[1].strip()
    raise PulumiToolError(f"scripts/plugins/{name}.sh has no PLUGIN_VERSION= line")


def install_plugin(env: Mapping[str, str], name: str) -> None:
    """Install the built plugin ``name`` into the ``PULUMI_HOME`` of ``env``, as
    scripts/plugins.sh does into the user's."""
    res = subprocess.run(
        [
            *("pulumi", "plugin", "install", "resource", name, plugin_version(name)),
            *("--file", str(plugin_bin(name))),
        ],
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise PulumiToolError(f"pulumi plugin install {name} failed:\n{res.stdout}\n{res.stderr}")


@dataclass
class PulumiProject:
    """A copy of the project in ``workdir`` with its own state backend."""

    workdir: Path
    env: dict[str, str]

    def run(
        self, *args: str, check: bool = True, timeout: float | None = 600
    ) -> subprocess.CompletedProcess:
        """``pulumi <args>`` in the copy; on ``check`` a failure raises with its output."""
        res = subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and res.returncode != 0:
            raise PulumiToolError(
                f"pulumi {' '.join(args)} exited {res.returncode}:\n"
                f"{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
            )
        return res

    def stack(self, name: str, config_from: str) -> None:
        """Create stack ``name`` with the config of ``Pulumi.<config_from>.yaml``."""
        text = (REPO / f"Pulumi.{config_from}.yaml").read_text()
        # Without the salt of a `make up` made on this machine, with another passphrase.
        kept = [line for line in text.splitlines() if not line.startswith("encryptionsalt:")]
        (self.workdir / f"Pulumi.{name}.yaml").write_text("\n".join(kept) + "\n")
        self.run("stack", "init", name)

    def output(self, name: str, stack: str) -> str:
        return self.run("stack", "output", name, "--stack", stack).stdout.strip()


def engine_env(
    tmp: Path,
    bin_dir: Path,
    *,
    passphrase: str = "cloudlab-tests",
    extra_env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of ``pulumi`` commands from ``bin_dir`` with everything of their own
    under ``tmp``: the state in ``tmp/state`` (created), ``PULUMI_HOME`` in ``tmp/pulumi-home``,
    nothing fetched from the network."""
    (tmp / "state").mkdir()
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PULUMI_BACKEND_URL": backend_url(tmp / "state"),
        "PULUMI_CONFIG_PASSPHRASE": passphrase,
        "PULUMI_HOME": str(tmp / "pulumi-home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        **(extra_env or {}),
    }


P = TypeVar("P", bound=PulumiProject)


def make_project(
    tmp: Path,
    extra_dirs: tuple[str, ...] = (),
    plugins: tuple[str, ...] = (),
    *,
    extra_env: Mapping[str, str] | None = None,
    passphrase: str = "cloudlab-tests",
    project_class: type[P] = PulumiProject,  # type: ignore[assignment]
) -> P:
    """Copy the program into ``tmp/project`` (the venv is linked, not copied), the state in
    ``tmp/state`` and ``PULUMI_HOME`` in ``tmp/pulumi-home``.

    ``extra_dirs``: more directories a stack needs (e.g. ``apps``).
    ``plugins``: resource plugins built by ``make toolchain`` to install into the copy's
    ``PULUMI_HOME`` (e.g. ``openstack``). ``extra_env``: more variables of every ``pulumi``
    command (e.g. ``OS_CLOUD``).
    """
    bin_dir = toolchain_bin()
    workdir = tmp / "project"
    workdir.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(REPO / name, workdir / name)
    for name in (*PROJECT_DIRS, *extra_dirs):
        shutil.copytree(
            REPO / name, workdir / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    (workdir / "venv").symlink_to(REPO / "venv")
    env = engine_env(tmp, bin_dir, passphrase=passphrase, extra_env=extra_env)
    for name in plugins:
        install_plugin(env, name)
    return project_class(workdir, env)
