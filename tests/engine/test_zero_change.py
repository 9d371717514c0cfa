"""A `dev` stack deployed with the code of before the redesign upgrades with one `pulumi up`.

The redesign of issue 13 moved the components (the calculator lab's package, the offline
stand-ins behind components/dynamic) and kept every type token and resource name. The engine
stores each dynamic provider pickled by module path, in the inputs and in the outputs of each
resource, so the state of before names ``components.docker.<module>``, which no longer exists
(the alias modules that kept those paths importable are gone). ``read`` and ``delete`` load the
provider from the outputs, which only an update rewrites: so the providers report such a
resource as changed (never replaced) and their update keeps every output and touches nothing
(components/dynamic/base.py, docs/upgrading.md).

The proof, on the real engine and the real Docker, in one project directory and one state
backend: ``pulumi up`` of the `dev` config with the code of BASE_COMMIT; then, with this tree's
code in the same place, a preview that shows only those updates, one ``up`` that makes them
(the same containers keep running, every pickle now names the new paths, in inputs and
outputs), and then a preview, a refresh (every object read through the providers as the state
pickled them) and an update that change nothing (``pulumi --expect-no-changes`` fails the
command otherwise). Then destroy, leaving nothing labelled with the stack.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.dynamic.docker.cleanup import cleanup
from tests.engine.pulumi_project import (
    PROJECT_DIRS,
    PROJECT_FILES,
    REPO,
    PulumiProject,
    docker_engine,
    make_project,
)
from tests.engine.twins import ZERO_CHANGE

pytestmark = [pytest.mark.engine, pytest.mark.docker]

BASE_COMMIT = "a548d8a1660abf8cff7869681064f6f6949ad864"
"""The last commit before the redesign (`quota.py: drop a leftover alias of _limit`)."""
DYNAMIC = 9
"""The dev stack's dynamic resources: the image, two networks, six containers."""
STACK = ZERO_CHANGE.stack
URL = ZERO_CHANGE.url
OLD_PROVIDER_PATHS = ("components.docker.container", "components.docker.network")
NEW_PROVIDER_PATHS = ("components.dynamic.docker.container", "components.dynamic.docker.network")


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, check=False)


def use_code(workdir: Path, commit: str | None) -> None:
    """Put the program of ``commit`` (``None``: this tree) in ``workdir``, in place of the
    program there."""
    for name in PROJECT_FILES:
        (workdir / name).unlink(missing_ok=True)
    for name in PROJECT_DIRS:
        shutil.rmtree(workdir / name, ignore_errors=True)
    if commit is None:
        for name in PROJECT_FILES:
            shutil.copy(REPO / name, workdir / name)
        for name in PROJECT_DIRS:
            shutil.copytree(
                REPO / name, workdir / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        return
    archive = workdir.parent / "base.tar"
    res = git("archive", "--output", str(archive), commit, *PROJECT_FILES, *PROJECT_DIRS)
    if res.returncode != 0:
        pytest.fail(f"git archive {commit} failed (a clone with history?): {res.stderr.decode()}")
    with tarfile.open(archive) as tar:
        tar.extractall(workdir, filter="data")


def post(body: str) -> str:
    request = urllib.request.Request(URL, data=body.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def owned() -> tuple[list, list]:
    client = docker_engine()
    label = {"label": f"cloudlab.stack={STACK}"}
    return client.containers.list(all=True, filters=label), client.networks.list(filters=label)


@pytest.fixture(scope="module")
def deployed_before(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulumiProject]:
    """The `dev` stack as the base commit deploys it (its code, its Pulumi.dev.yaml)."""
    client = docker_engine()
    cleanup(STACK)
    ZERO_CHANGE.require_free(client)
    project = make_project(tmp_path_factory.mktemp("zero-change"))
    use_code(project.workdir, BASE_COMMIT)
    # The services' code as it is now: what this test isolates is the program's move of the
    # providers, not the services' own changes since (a changed image replaces the containers,
    # and a replacement deletes through the old provider: docs/upgrading.md).
    shutil.rmtree(project.workdir / "services")
    shutil.copytree(
        REPO / "services",
        project.workdir / "services",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    config = git("show", f"{BASE_COMMIT}:Pulumi.dev.yaml")
    if config.returncode != 0:
        pytest.fail(f"no Pulumi.dev.yaml at {BASE_COMMIT}: {config.stderr.decode()}")
    # Its dev config, on the test's own subnets and port (a user's lab may be up meanwhile).
    ZERO_CHANGE.write_config(project, dev_yaml=config.stdout.decode())
    project.run("stack", "init", STACK)
    try:
        project.run("up", "--yes", "--stack", STACK)
        yield project
    finally:
        project.run("destroy", "--yes", "--stack", STACK, check=False)
        cleanup(STACK)


@pytest.fixture(scope="module")
def migrated(deployed_before: PulumiProject) -> dict[str, object]:
    """The same stack, previewed then updated once with this tree's code."""
    project = deployed_before
    assert pickled_provider_paths(project) >= set(OLD_PROVIDER_PATHS)
    before = {c.name: c.id for c in owned()[0]}
    use_code(project.workdir, None)
    return {
        "containers": before,
        "preview": project.run("preview", "--diff", "--stack", STACK, check=False),
        "up": project.run("up", "--yes", "--stack", STACK, check=False),
    }


@pytest.fixture(scope="module")
def updated(
    deployed_before: PulumiProject, migrated: dict[str, object]
) -> dict[str, subprocess.CompletedProcess]:
    """The migrated stack: preview, refresh, update, none of which may change anything."""
    project = deployed_before
    _ok(migrated["up"])  # type: ignore[arg-type]
    return {
        "preview": project.run(
            "preview", "--expect-no-changes", "--diff", "--stack", STACK, check=False
        ),
        "refresh": project.run("refresh", "--yes", "--stack", STACK, check=False),
        "up": project.run("up", "--yes", "--expect-no-changes", "--stack", STACK, check=False),
    }


def pickled_provider_paths(project: PulumiProject) -> set[str]:
    """The module paths the state's dynamic providers are pickled under.

    The SDK stores each ``__provider`` as a secret: the export shows it with
    ``--show-secrets``, as ``{"<secret sig>": ..., "plaintext": "<JSON string>"}``.
    """
    exported = project.run("stack", "export", "--show-secrets", "--stack", STACK).stdout
    found = set()
    pickles = 0
    for resource in json.loads(exported)["deployment"].get("resources", []):
        for side in ("inputs", "outputs"):  # read and delete load it from the outputs
            pickled = (resource.get(side) or {}).get("__provider")
            if isinstance(pickled, dict) and "plaintext" in pickled:
                pickled = json.loads(pickled["plaintext"])
            if isinstance(pickled, str):
                pickles += 1
                raw = base64.b64decode(pickled)
                paths = (*OLD_PROVIDER_PATHS, *NEW_PROVIDER_PATHS)
                found |= {path for path in paths if path.encode() in raw}
    assert pickles == 2 * DYNAMIC, f"expected {2 * DYNAMIC} pickled providers, read {pickles}"
    return found


def _ok(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 0, f"{res.args}:\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
    return res.stdout


def test_the_base_deployment_answers(deployed_before: PulumiProject) -> None:
    assert post("(5+6)*2") == "result = 22\r\n"


def test_the_new_code_previews_no_change(updated: dict) -> None:
    out = _ok(updated["preview"])
    assert "11 unchanged" in out
    for change in ("to create", "to update", "to replace", "to delete"):
        assert change not in out, out


def test_the_new_code_previews_the_rewrite_and_nothing_else(migrated: dict) -> None:
    """Every dynamic resource changes; the preview cannot know the image's id before its update
    (an updated resource's outputs are unknown in a preview), so it shows the containers, whose
    image is that id, as replaced: the update itself replaces nothing (next test)."""
    out = _ok(migrated["preview"])
    assert re.search(rf"\b{DYNAMIC} changes\. 2 unchanged", out), out[-3000:]
    assert "to create" not in out and "to delete" not in out, out[-3000:]


def test_one_up_rewrites_the_providers_and_touches_nothing_in_docker(
    deployed_before: PulumiProject, migrated: dict
) -> None:
    out = _ok(migrated["up"])
    assert re.search(rf"~ {DYNAMIC} updated\n\s+2 unchanged", out), out[-3000:]
    for change in ("created", "replaced", "deleted"):
        assert change not in out, out[-3000:]
    assert pickled_provider_paths(deployed_before) == set(NEW_PROVIDER_PATHS)
    assert {c.name: c.id for c in owned()[0]} == migrated["containers"]  # none re-created
    assert post("(5+6)*2") == "result = 22\r\n"


def test_the_migrated_state_loads_for_a_refresh(updated: dict) -> None:
    """Refresh reads each object with the provider its state pickled (new module paths)."""
    _ok(updated["refresh"])


def test_the_new_code_updates_with_no_change(updated: dict) -> None:
    out = _ok(updated["up"])
    assert "11 unchanged" in out
    containers, networks = owned()
    assert len(containers) == 6 and len(networks) == 2
    assert all(c.status == "running" for c in containers)
    assert post("(5+6)*2") == "result = 22\r\n"


def test_the_update_keeps_the_providers_under_their_new_paths(
    deployed_before: PulumiProject, updated: dict
) -> None:
    _ok(updated["up"])
    assert pickled_provider_paths(deployed_before) == set(NEW_PROVIDER_PATHS)


def test_destroy_with_the_new_code_leaves_nothing(
    deployed_before: PulumiProject, updated: dict
) -> None:
    deployed_before.run("destroy", "--yes", "--stack", STACK)
    assert owned() == ([], [])
