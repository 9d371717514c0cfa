"""The dynamic provider's host (toolchain/dynamic-host): the SDK's ``pulumi.dynamic`` with a
wider gRPC pool, installed by scripts/toolchain.sh in place of ``-m pulumi.dynamic``.

The first two tests pin what the host was written for; the last proves, through the real engine,
that more than four creates of dynamic resources now run at once (the SDK's own pool has four).
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

from cloudlab_tools.pulumi_cli import engine_env
from tests.engine.pulumi_project import PulumiProject, toolchain_bin

REPO = Path(__file__).resolve().parents[2]
HOST = REPO / "toolchain" / "dynamic-host" / "cloudlab-dynamic-host.py"


def _constant(name: str) -> object:
    for node in ast.parse(HOST.read_text()).body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{HOST} has no {name}")


def test_the_sdk_is_the_one_the_host_was_written_for() -> None:
    """A bump of the pulumi SDK fails here: check that its dynamic provider still makes its
    server with ``grpc.server(pool, ...)`` (what the host replaces), then move WRITTEN_FOR."""
    assert importlib.metadata.version("pulumi") == _constant("WRITTEN_FOR")
    spec = importlib.util.find_spec("pulumi.dynamic.__main__")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text()
    assert "grpc.server(\n        futures.ThreadPoolExecutor(max_workers=4)," in source
    assert source.rstrip().endswith("main()")


@pytest.mark.engine
def test_the_toolchain_launches_the_host() -> None:
    bin_dir = toolchain_bin()
    assert (bin_dir / HOST.name).read_text() == HOST.read_text()
    launcher = (bin_dir / "pulumi-resource-pulumi-python").read_text()
    assert "-m pulumi.dynamic" not in launcher
    assert launcher.count(f'-u "$(dirname "$0")/{HOST.name}"') == 2


CREATES = 8
PROGRAM = textwrap.dedent(
    """
    import os
    import time

    import pulumi
    from pulumi.dynamic import CreateResult, Resource, ResourceProvider


    class SlowProvider(ResourceProvider):
        def create(self, props):
            log = os.environ["CREATE_LOG"]
            with open(log, "a") as fh:
                fh.write(f"start {time.time()}\\n")
            time.sleep(1.5)
            with open(log, "a") as fh:
                fh.write(f"end {time.time()}\\n")
            return CreateResult(id_=props["n"], outs=props)


    class Slow(Resource):
        def __init__(self, name, n):
            super().__init__(SlowProvider(), name, {"n": n}, None)


    for i in range(int(os.environ["CREATES"])):
        Slow(f"slow-{i}", str(i))
    """
)


def _max_overlap(log: str) -> int:
    events = sorted(
        (float(when), 1 if kind == "start" else -1)
        for kind, when in (line.split() for line in log.splitlines())
    )
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


@pytest.mark.engine
def test_more_than_four_creates_run_at_once(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        f"name: dynhost\nruntime:\n  name: python\n  options:\n    virtualenv: {sys.prefix}\n"
    )
    (project / "__main__.py").write_text(PROGRAM)
    log = tmp_path / "creates.log"
    env = engine_env(
        tmp_path,
        toolchain_bin(),
        passphrase="",
        extra_env={"CREATE_LOG": str(log), "CREATES": str(CREATES)},
    )
    pulumi = PulumiProject(project, env).run

    pulumi("stack", "init", "test")
    pulumi("up", "--yes", "--skip-preview", "--parallel", str(2 * CREATES))
    # The SDK's own pool would give at most 4; some slack for a loaded machine.
    overlap = _max_overlap(log.read_text())
    assert overlap >= CREATES - 2, f"at most {overlap} of {CREATES} creates ran at once"
    pulumi("destroy", "--yes", "--skip-preview")
