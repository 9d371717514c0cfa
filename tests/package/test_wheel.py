"""The distribution installs and runs from outside the checkout (docs/install.md).

The wheel built from this tree goes into a fresh virtualenv (no checkout on ``sys.path``,
dependencies from requirements.txt through the wheel's metadata), next to a Pulumi project
that holds only ``Pulumi.yaml``, ``__main__.py`` and the ``dev`` stack's config: ``pulumi
preview`` of ``dev`` must run the program from the installed packages, package data included
(the services' build context). Needs the engine of `make toolchain` (fails without it) and
PyPI or pip's cache for the dependencies.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudlab_tools.pulumi_cli import REPO, PulumiProject, engine_env
from tests.engine.pulumi_project import toolchain_bin

pytestmark = pytest.mark.engine

DISTRIBUTION = "cloudlab-labs"
STACK = "dev"


def run(*cmd: str | Path, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    res = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    if res.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} exited {res.returncode}:\n{res.stderr[-4000:]}")
    return res


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # A copy of the sources: the build writes build/ and *.egg-info next to them, and the
    # checkout stays untouched.
    src = out / "src"
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(
            "venv", ".git", "__pycache__", "*.pyc", "site", ".pytest_cache", ".ruff_cache"
        ),
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    run(*pip, "wheel", "--no-deps", "--wheel-dir", out, src, cwd=out)
    (found,) = out.glob("cloudlab_labs-*.whl")
    return found


@pytest.fixture(scope="module")
def project(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulumiProject]:
    """A Pulumi project outside the checkout, its own venv holding the installed wheel."""
    tmp = tmp_path_factory.mktemp("user")
    workdir = tmp / "project"
    workdir.mkdir()
    for name in ("Pulumi.yaml", "__main__.py", f"Pulumi.{STACK}.yaml"):
        shutil.copy(REPO / name, workdir / name)
    run(sys.executable, "-m", "venv", workdir / "venv", cwd=tmp)
    pip = [workdir / "venv" / "bin" / "python", "-m", "pip", "--disable-pip-version-check"]
    run(*pip, "install", "--progress-bar", "off", wheel, cwd=tmp)
    env = engine_env(tmp, toolchain_bin())
    env.pop("PYTHONPATH", None)
    yield PulumiProject(workdir, env)


def test_the_wheel_holds_the_packages_and_their_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "components/__init__.py",
        "stacks/__init__.py",
        "services/__main__.py",
        "services/Dockerfile",
        "components/dockerlab/images/ct2/Dockerfile",
        "autonomic/__main__.py",
        "edge/__main__.py",
    ):
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "localcloud/", "docs_tools/")) for n in names)
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert f"Name: {DISTRIBUTION}" in text
    assert "Requires-Dist: pulumi==" in text and "pulumi-docker" not in text
    assert "fakepve" not in text.split("Provides-Extra: dev")[0]


def test_the_installed_packages_come_from_the_venv(project: PulumiProject) -> None:
    python = project.workdir / "venv" / "bin" / "python"
    code = (
        "import json, components, stacks, services, autonomic, edge;"
        "from components.calculator.docker_twin import SERVICES_DIR;"
        "print(json.dumps([components.__file__, str(SERVICES_DIR)]))"
    )
    res = run(python, "-c", code, cwd=project.workdir)
    module, services_dir = json.loads(res.stdout)
    site = str(project.workdir / "venv" / "lib")
    assert module.startswith(site) and services_dir.startswith(site)
    assert (Path(services_dir) / "Dockerfile").is_file()


def test_preview_of_dev_runs_from_the_installed_distribution(project: PulumiProject) -> None:
    project.run("stack", "init", STACK)
    res = project.run("preview", "--stack", STACK, "--diff")
    assert "cloudlab:docker:CalculatorTwin" in res.stdout
    assert re.search(r"\b11 to create\b", res.stdout), res.stdout[-3000:]
