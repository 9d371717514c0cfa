"""``pulumi preview`` of every cloud stack file on the real engine, offline.

These stacks need the openstack, kubernetes or proxmoxve provider plugin. Where the plugin is on
PATH the preview must succeed. Where it is not (this machine: the Go module proxy refuses every
provider module, see README "The engine, offline"), the preview must get as far as the
provider: the program ran, validated its config and registered resources, and the one error is
the missing plugin, named. Any other failure (a program bug, a config error, a crash) fails.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pulumi_project import PulumiProject, make_project

pytestmark = pytest.mark.engine

# stack file -> the provider plugin its first cloud resource needs
STACKS = {
    "openstack": "openstack",
    "kubernetes": "openstack",
    "k8s-workload": "kubernetes",
    "proxmox": "proxmoxve",
}
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: admin, user: {token: placeholder}}]
contexts: [{name: lab, context: {cluster: lab, user: admin}}]
current-context: lab
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> PulumiProject:
    return make_project(tmp_path_factory.mktemp("previews"))


def test_every_stack_file_is_covered() -> None:
    repo = Path(__file__).resolve().parents[2]
    files = {
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in repo.glob("Pulumi.*.yaml")
    }
    # dev, dockerlab and virtualbox run for real in their own engine tests.
    assert files - {"dev", "dockerlab", "virtualbox"} == set(STACKS)


@pytest.mark.parametrize(("stack", "plugin"), STACKS.items())
def test_preview(project: PulumiProject, tmp_path: Path, stack: str, plugin: str) -> None:
    project.stack(stack, config_from=stack)
    if stack == "k8s-workload":  # an existing cluster, given by a placeholder kubeconfig
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(KUBECONFIG)
        project.run("config", "set", "cloudlab:kubeconfigPath", str(kubeconfig), "--stack", stack)
    if stack == "kubernetes":  # the one key a user must set: who may reach the API
        project.run(
            "config",
            "set",
            "--path",
            "cloudlab:kubernetes.apiAllowedCidrs[0]",
            "203.0.113.7/32",
            "--stack",
            stack,
        )
    res = project.run("preview", "--stack", stack, check=False)
    output = res.stdout + res.stderr
    if shutil.which(f"pulumi-resource-{plugin}", path=project.env["PATH"]):
        assert res.returncode == 0, output[-4000:]
        return
    assert res.returncode != 0
    errors = set(re.findall(r"error: (.*)", output))
    missing = {e for e in errors if e.startswith(f"no resource plugin 'pulumi-resource-{plugin}'")}
    assert missing, f"expected the missing {plugin} plugin to be the error:\n{output[-4000:]}"
    others = errors - missing - {"update failed", "preview failed"}
    assert not others, f"the program failed before reaching the provider: {others}"
