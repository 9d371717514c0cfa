"""The pack on the real engine: ``pulumi preview --policy-pack policy``.

The ``dev`` stack (the secured Docker twin) previews with zero violations; the deliberately
violating fixture program (tests/fixtures/violating) is rejected, naming each policy it breaks,
while its secret output passes (the pack tells secrets from plain text). Preview only: nothing
is created. Needs `make toolchain` (fails without it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import ModuleType

import cloudlab_policy as p
import pytest
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from tests.engine.pulumi_project import REPO, PulumiProject, make_project

POLICY = str(REPO / "policy")
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def test_plain_keeps_secrets_and_unknowns(pack: ModuleType) -> None:
    """The adapter over what the SDK builds from the engine's wire format."""
    raw = {
        "kubeconfig": {**SECRET_SIG, "value": "conf"},
        "ports": [{"host_ip": "127.0.0.1", "host_port": 50005.0}],
        "portId": UNKNOWN_STRING_VALUE,
        "nested": {"env": {"KEY_PEM": {**SECRET_SIG, "value": "k"}}},
    }
    props = unknown_checking_proxy(deserialize_properties(raw, True))
    assert pack.plain(props) == {
        "kubeconfig": p.Sealed("conf"),
        "ports": [{"host_ip": "127.0.0.1", "host_port": 50005.0}],
        "portId": p.UNKNOWN,
        "nested": {"env": {"KEY_PEM": p.Sealed("k")}},
    }


def test_keep_secret_markers_patches_the_sdk(pack: ModuleType) -> None:
    import pulumi_policy.policy as sdk

    before = sdk.deserialize_properties
    try:
        pack.keep_secret_markers()
        props = sdk.deserialize_properties({"t": {**SECRET_SIG, "value": "x"}})
        assert pack.plain(props) == {"t": p.Sealed("x")}
    finally:
        sdk.deserialize_properties = before


@pytest.mark.engine
@pytest.mark.parametrize("stack", ["dev", "dockerlab", "virtualbox"])
def test_stacks_that_preview_here_have_zero_violations(tmp_path: Path, stack: str) -> None:
    """Every stack whose resources the engine can run here (the others need provider plugins
    this machine cannot build: see tests/engine/test_previews.py), with its own policy config
    when it has one (``make policy`` does the same)."""
    project = make_project(tmp_path)
    project.stack("policytest", config_from=stack)
    args = ["preview", "--stack", "policytest", "--policy-pack", POLICY]
    config = REPO / "policy" / f"{stack}.json"
    if config.exists():
        args += ["--policy-pack-config", str(config)]
    res = project.run(*args)
    assert "cloudlab-guardrails@v1.0.0" in res.stdout
    assert "[mandatory]" not in res.stdout and "[advisory]" not in res.stdout
    assert "can't run policy" not in res.stdout + res.stderr


@pytest.mark.engine
def test_violating_program_is_rejected(tmp_path: Path) -> None:
    base = make_project(tmp_path)  # for its env (toolchain on PATH, file backend, passphrase)
    workdir = tmp_path / "violating"
    shutil.copytree(REPO / "tests" / "fixtures" / "violating", workdir)
    (workdir / "venv").symlink_to(REPO / "venv")
    env = {**base.env, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    project = PulumiProject(workdir, env)
    project.run("stack", "init", "bad")
    res = project.run("preview", "--stack", "bad", "--policy-pack", POLICY, check=False)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    for line in (
        "[mandatory]  containers-least-privilege",
        "[mandatory]  public-exposure-gateway-only",
        "[mandatory]  credentials-are-secrets-outputs",
        "container 'violating-bad-sum' adds NET_ADMIN",
        "publishes 0.0.0.0:50001->50001 but only a gateway",
        "0.0.0.0 is not an allowed host address",
        "stack output kubeconfig holds a kubeconfig in plain text",
    ):
        assert line in out, f"{line!r} missing from:\n{out}"
    assert "bootstrapToken" not in out.split("Policies:")[1].split("Outputs:")[0]
