"""Drive the real Pulumi CLI on a throwaway copy of the project, from a test.

The work is :mod:`cloudlab_tools.pulumi_cli`'s (shared with the benchmarks); here a missing
toolchain, plugin or Docker engine, or a failing ``pulumi`` command, is a test failure with
what to do next, never a skip.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import docker
import pytest

from cloudlab_tools import pulumi_cli
from cloudlab_tools.pulumi_cli import PROJECT_DIRS, PROJECT_FILES, REPO, backend_url

__all__ = [
    "PROJECT_DIRS",
    "PROJECT_FILES",
    "REPO",
    "PulumiProject",
    "backend_url",
    "docker_engine",
    "install_plugin",
    "make_project",
    "plugin_bin",
    "plugin_version",
    "toolchain_bin",
]

T = TypeVar("T")


def _failing_the_test(work: Callable[[], T]) -> T:
    """``work()``, with a :class:`pulumi_cli.PulumiToolError` turned into a test failure."""
    try:
        return work()
    except pulumi_cli.PulumiToolError as error:
        message = str(error)
    pytest.fail(message)


class PulumiProject(pulumi_cli.PulumiProject):
    """A copy of the project in ``workdir`` with its own state backend."""

    def run(
        self, *args: str, check: bool = True, timeout: float | None = 600
    ) -> subprocess.CompletedProcess:
        """``pulumi <args>`` in the copy; on ``check`` a failure fails the test with its output."""
        try:
            return super().run(*args, check=check, timeout=timeout)
        except pulumi_cli.PulumiToolError as error:
            message = str(error)
        pytest.fail(message)


def toolchain_bin() -> Path:
    """The bin dir of ``make toolchain``; fails the test when there is none."""
    return _failing_the_test(pulumi_cli.toolchain_bin)


def plugin_bin(name: str) -> Path:
    """The resource plugin ``name`` built by ``make toolchain``; fails the test without one."""
    return _failing_the_test(lambda: pulumi_cli.plugin_bin(name))


def plugin_version(name: str) -> str:
    """The version scripts/plugins/<name>.sh builds (its ``PLUGIN_VERSION=`` line)."""
    return _failing_the_test(lambda: pulumi_cli.plugin_version(name))


def install_plugin(env: dict[str, str], name: str) -> None:
    """Install the built plugin ``name`` into the ``PULUMI_HOME`` of ``env``."""
    _failing_the_test(lambda: pulumi_cli.install_plugin(env, name))


def make_project(
    tmp: Path, extra_dirs: tuple[str, ...] = (), plugins: tuple[str, ...] = ()
) -> PulumiProject:
    """Copy the program into ``tmp`` (the venv is linked, not copied).

    ``extra_dirs``: more directories a stack needs (e.g. ``apps``).
    ``plugins``: resource plugins built by ``make toolchain`` to install into the copy's
    ``PULUMI_HOME`` (e.g. ``openstack``); a missing one fails the test.
    """
    return _failing_the_test(
        lambda: pulumi_cli.make_project(tmp, extra_dirs, plugins, project_class=PulumiProject)
    )


def docker_engine() -> docker.DockerClient:
    """A client of the running Docker engine; fails the test when there is none."""
    try:
        client = docker.from_env()
        client.ping()
    except Exception as error:  # any failure means "no engine"
        pytest.fail(f"Docker engine unreachable ({error}): run scripts/docker-engine.sh")
    return client


def networks_using(
    client: docker.DockerClient, subnets: tuple[str, ...], except_stack: str | None = None
) -> list[str]:
    """Names of the Docker networks on any of ``subnets`` (those labelled ``except_stack``
    left out): a lab's networks cannot be created while another network holds its subnet."""
    return [
        n.name
        for n in client.networks.list()
        if any(c.get("Subnet") in subnets for c in (n.attrs.get("IPAM") or {}).get("Config") or [])
        and (
            except_stack is None
            or (n.attrs.get("Labels") or {}).get("cloudlab.stack") != except_stack
        )
    ]
