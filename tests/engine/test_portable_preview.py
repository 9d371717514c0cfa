"""The same stack, previewed from a second clone in another directory, changes nothing.

The kubeadm cluster's readiness gate used to be a command whose inputs held this machine's
interpreter (``sys.executable``) and this checkout's path: from any other clone, every ``up``
replaced it. It is a dynamic resource now (components/dynamic/readiness.py), and the tree's one
command implementation is the project's ``LocalCommand``.

The proof, on the real engine: clone A deploys the gate (against a fake API server over mutual
TLS on 127.0.0.1, registered exactly as ``KubeadmCluster`` registers it) and a ``LocalCommand``;
clone B, a copy of the project in another directory with its own venv path, previews the same
stack from the same state with ``--expect-no-changes``. A control stack whose command names the
interpreter, as the old gate did, shows the replacement from clone B, so the method does see
such a diff.

Why not the ``kubernetes`` stack itself: its preview needs the random and tls plugins (the PKI)
and the openstack plugin, which are not in the toolchain cache here (tests/engine/
test_previews.py); this program holds every resource of that stack that ran on this machine,
the gate, and needs no plugin.
"""

from __future__ import annotations

import base64
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dynamic.api_server import make_pki, serve_api
from tests.engine.pulumi_project import PulumiProject, make_project

pytestmark = pytest.mark.engine

PROGRAM = textwrap.dedent(
    """
    import base64
    import sys

    import pulumi

    from components.dynamic.command import LocalCommand, LocalCommandArgs
    from components.dynamic.readiness import ApiReady, ApiReadyArgs

    config = pulumi.Config("gate")


    def pem(key):  # the PEMs travel base64-encoded: a value starting with "-" is a CLI flag
        return base64.b64decode(config.require(key)).decode()

    if config.get_bool("pinned"):
        # What the old gate did: this machine's interpreter in the command.
        LocalCommand("pinned", LocalCommandArgs(create=f"{sys.executable} -c pass"))
    else:
        ApiReady(
            "k8s-api-ready",
            ApiReadyArgs(
                server=config.require("server"),
                nodes=["master", "worker1"],
                ca_cert_pem=pem("ca"),
                client_cert_pem=pem("cert"),
                client_key_pem=pulumi.Output.secret(pem("key")),
                tls_server_name="kubernetes",
                timeout=60.0,
                interval=0.2,
                triggers=["master-id"],
            ),
        )
        LocalCommand("marker", LocalCommandArgs(create="true", delete="true"))
    """
)


def clone_into(project: PulumiProject, workdir: Path) -> PulumiProject:
    """A second clone: the program copied to ``workdir`` with a venv link of its own (another
    interpreter path), on the first clone's state backend and ``PULUMI_HOME``."""
    shutil.copytree(
        project.workdir,
        workdir,
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return PulumiProject(workdir, dict(project.env))


@pytest.fixture(scope="module")
def clones(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PulumiProject, ...]]:
    first = make_project(tmp_path_factory.mktemp("clone-a"))
    (first.workdir / "__main__.py").write_text(PROGRAM)
    second = clone_into(first, tmp_path_factory.mktemp("clone-b") / "elsewhere")
    assert first.workdir.resolve() != second.workdir.resolve()
    yield first, second


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return make_pki(tmp_path_factory.mktemp("pki"))


PEMS = {"ca": "ca_cert_pem", "cert": "client_cert_pem", "key": "client_key_pem"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def configure(project: PulumiProject, stack: str, settings: dict[str, str]) -> None:
    project.run("stack", "init", stack)
    for key, value in settings.items():
        secret = ("--secret",) if key == "key" else ()
        project.run("config", "set", *secret, f"gate:{key}", value, "--stack", stack)


def share_config(first: PulumiProject, second: PulumiProject, stack: str) -> None:
    shutil.copy(first.workdir / f"Pulumi.{stack}.yaml", second.workdir / f"Pulumi.{stack}.yaml")


def test_the_gate_previews_no_change_from_another_clone(
    clones: tuple[PulumiProject, PulumiProject], pki: dict[str, str]
) -> None:
    first, second = clones
    with serve_api(pki, ready_from=1) as (url, hits):
        settings = {
            "server": url,
            **{key: b64(pki[name]) for key, name in PEMS.items()},
        }
        configure(first, "portable", settings)
        try:
            first.run("up", "--yes", "--stack", "portable")
            assert hits.get("/readyz", 0) >= 1 and hits.get("/api/v1/nodes", 0) >= 1
            state = first.run("stack", "export", "--stack", "portable").stdout
            assert "PRIVATE KEY" not in state, "the admin key must be encrypted in the state"
            share_config(first, second, "portable")
            res = second.run(
                "preview", "--expect-no-changes", "--diff", "--stack", "portable", check=False
            )
            out = res.stdout + res.stderr
            assert res.returncode == 0, out[-4000:]
            assert "3 unchanged" in out, out[-3000:]  # the stack, the gate, the command
            for change in ("to create", "to update", "to replace", "to delete"):
                assert change not in out, out[-3000:]
        finally:
            first.run("destroy", "--yes", "--stack", "portable", check=False)


def test_a_command_naming_the_interpreter_is_replaced_from_another_clone(
    clones: tuple[PulumiProject, PulumiProject],
) -> None:
    """The control: what the old gate did shows up as a replacement, so the test above could
    fail."""
    first, second = clones
    configure(first, "pinned", {"pinned": "true"})
    try:
        first.run("up", "--yes", "--stack", "pinned")
        share_config(first, second, "pinned")
        res = second.run("preview", "--diff", "--stack", "pinned")
        assert "1 to replace" in res.stdout, res.stdout[-3000:]
    finally:
        first.run("destroy", "--yes", "--stack", "pinned", check=False)
