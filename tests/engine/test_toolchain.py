"""The Pulumi toolchain from `make toolchain` (scripts/toolchain.sh) works as a real engine.

These tests FAIL (never skip) when the toolchain is missing: run `make toolchain` first.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

REPO = Path(__file__).resolve().parents[2]
PULUMI_VERSION = "v3.259.0"
PYTHON_PLUGINS = (
    "pulumi-language-python",
    "pulumi-language-python-exec",
    "pulumi-resource-pulumi-python",
)


@functools.cache
def _bin_dir() -> Path:
    """The toolchain's bin dir: the one scripts/toolchain.sh built, else the pulumi on PATH."""
    res = subprocess.run(
        [str(REPO / "scripts" / "toolchain.sh"), "--bin-dir"],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode == 0 and res.stdout.strip():
        return Path(res.stdout.strip())
    on_path = shutil.which("pulumi")
    if on_path:
        return Path(on_path).resolve().parent
    pytest.fail("no Pulumi toolchain found: run `make toolchain` (scripts/toolchain.sh)")


def test_pulumi_version() -> None:
    bin_dir = _bin_dir()
    res = subprocess.run(
        [str(bin_dir / "pulumi"), "version"], capture_output=True, text=True, check=True, timeout=60
    )
    assert res.stdout.strip() == PULUMI_VERSION


@pytest.mark.parametrize("name", PYTHON_PLUGINS)
def test_python_plugin_next_to_cli(name: str) -> None:
    bin_dir = _bin_dir()
    path = bin_dir / name
    assert path.is_file(), f"{name} missing from {bin_dir}"
    assert os.access(path, os.X_OK), f"{path} is not executable"


def test_language_host_announces_port() -> None:
    bin_dir = _bin_dir()
    proc = subprocess.Popen(
        [str(bin_dir / "pulumi-language-python")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.strip().isdigit(), f"expected a port, got {line!r}"
        assert 0 < int(line) < 65536
    finally:
        proc.kill()
        proc.wait(timeout=10)


PROGRAM = textwrap.dedent(
    """
    import os

    import pulumi
    from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult


    class FileProvider(ResourceProvider):
        def create(self, props):
            with open(props["path"], "w") as f:
                f.write(props["content"])
            return CreateResult(id_=props["path"], outs=dict(props))

        def diff(self, id, olds, news):
            return DiffResult(changes=olds.get("content") != news.get("content"))

        def update(self, id, olds, news):
            with open(news["path"], "w") as f:
                f.write(news["content"])
            return UpdateResult(outs=dict(news))

        def delete(self, id, props):
            os.remove(id)


    class LabFile(Resource):
        def __init__(self, name, props, opts):
            super().__init__(FileProvider(), name, props, opts)


    class Lab(pulumi.ComponentResource):
        def __init__(self, name, content):
            super().__init__("cloudlab:test:Lab", name)
            self.file = LabFile(
                f"{name}-file",
                {"path": os.environ["PROOF_FILE"], "content": content},
                pulumi.ResourceOptions(parent=self),
            )
            self.register_outputs({})


    cfg = pulumi.Config()
    lab = Lab("lab", cfg.require("greeting"))
    pulumi.export("greeting", cfg.require("greeting"))
    pulumi.export("token_length", cfg.require_secret("token").apply(len))
    """
)


def test_engine_up_and_destroy(tmp_path: Path) -> None:
    """Config, a secret, a component and a dynamic resource: up, update, no-op, destroy."""
    bin_dir = _bin_dir()
    project = tmp_path / "project"
    project.mkdir()
    options = ""
    env = dict(os.environ)
    if sys.prefix != sys.base_prefix:  # running inside a virtualenv: let the program use it too
        options = f"  options:\n    virtualenv: {sys.prefix}\n"
    else:
        env["PULUMI_PYTHON_CMD"] = sys.executable
    (project / "Pulumi.yaml").write_text(f"name: enginetest\nruntime:\n  name: python\n{options}")
    (project / "__main__.py").write_text(PROGRAM)
    target = tmp_path / "hello.txt"
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PULUMI_HOME=str(tmp_path / "home"),
        PULUMI_BACKEND_URL=f"file://{tmp_path / 'state'}?metadata=skip",
        PULUMI_CONFIG_PASSPHRASE="",
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="true",
        PROOF_FILE=str(target),
    )
    (tmp_path / "state").mkdir()

    def pulumi(*args: str) -> str:
        res = subprocess.run(
            [str(bin_dir / "pulumi"), "--non-interactive", *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert res.returncode == 0, f"pulumi {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}"
        return res.stdout

    pulumi("stack", "init", "test")
    pulumi("config", "set", "greeting", "hello")
    pulumi("config", "set", "--secret", "token", "s3cr3t")
    pulumi("up", "--yes", "--skip-preview")
    assert target.read_text() == "hello"
    outputs = json.loads(pulumi("stack", "output", "--json", "--show-secrets"))
    assert outputs == {"greeting": "hello", "token_length": 6}

    pulumi("config", "set", "greeting", "bonjour")
    assert "1 updated" in pulumi("up", "--yes", "--skip-preview")
    assert target.read_text() == "bonjour"
    assert "3 unchanged" in pulumi("preview")  # stack, component, dynamic resource: no changes

    pulumi("destroy", "--yes", "--skip-preview")
    assert not target.exists()
