"""``pulumi preview`` of every cloud stack file on the real engine.

- ``openstack`` and ``k8s-workload`` have their plugins (built by ``make toolchain``) and a
  local cloud: they go all the way, to ``up`` and ``destroy``, in tests/localcloud/. Here the
  ``k8s-workload`` preview runs without any cluster: the plugin plans the six resources anyway.
- ``kubernetes`` (the kubeadm cluster on OpenStack) reaches the local OpenStack for its data
  sources, then needs the random and tls plugins, which no served Go module provides (see
  docs/this-machine.md, "The engine, offline"): the preview must get that far, its one error
  naming one of those two plugins.
- ``proxmox`` is not here any more: with the bridged proxmoxve plugin its preview and ``up``
  run for real against a local Proxmox API (tests/localcloud/test_proxmox_stack.py).

Any other failure (a program bug, a config error, a crash) fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from localcloud.openstack import CLOUD_NAME
from tests.engine.pulumi_project import PulumiProject, make_project

pytestmark = pytest.mark.engine

# stack file -> the plugins the preview cannot have here (the error must name one of them)
MISSING = {
    "kubernetes": ("random", "tls"),
}
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: admin, user: {token: placeholder}}]
contexts: [{name: lab, context: {cluster: lab, user: admin}}]
current-context: lab
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> PulumiProject:
    built = make_project(tmp_path_factory.mktemp("previews"), plugins=("openstack", "kubernetes"))
    built.env["OS_CLOUD"] = CLOUD_NAME
    return built


def test_every_stack_file_is_covered() -> None:
    repo = Path(__file__).resolve().parents[2]
    files = {
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in repo.glob("Pulumi.*.yaml")
    }
    # dev, dockerlab, virtualbox, openstack, k8s-local, proxmox, cloudfoundry and
    # appengine-local run for real in their own tests; appengine previews up to its missing gcp
    # plugin in tests/paas/test_appengine_preview.py.
    covered = {"dev", "dockerlab", "virtualbox", "openstack", "k8s-local", "proxmox"}
    covered |= {"cloudfoundry", "appengine-local", "appengine"}
    assert files - covered == {"k8s-workload", *MISSING}


def test_k8s_workload_previews_without_a_cluster(project: PulumiProject, tmp_path: Path) -> None:
    project.stack("k8s-workload", config_from="k8s-workload")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    project.run(
        "config", "set", "cloudlab:kubeconfigPath", str(kubeconfig), "--stack", "k8s-workload"
    )
    res = project.run("preview", "--stack", "k8s-workload")
    assert re.search(r"\+ 6 to create", res.stdout), res.stdout[-3000:]


@pytest.mark.usefixtures("local_openstack")
@pytest.mark.parametrize("stack", sorted(MISSING))
def test_preview_reaches_the_missing_plugin(project: PulumiProject, stack: str) -> None:
    project.stack(stack, config_from=stack)
    if stack == "kubernetes":  # the one key a user must set: who may reach the API
        project.run(
            "config", "set", "--path", "cloudlab:kubernetes.apiAllowedCidrs[0]",
            "203.0.113.7/32", "--stack", stack,
        )  # fmt: skip
    res = project.run("preview", "--stack", stack, check=False)
    output = res.stdout + res.stderr
    assert res.returncode != 0
    errors = set(re.findall(r"error: (.*)", output))
    missing = {
        e
        for e in errors
        for plugin in MISSING[stack]
        if e.startswith(f"no resource plugin 'pulumi-resource-{plugin}'")
    }
    assert missing, f"expected a missing {MISSING[stack]} plugin to be the error:\n{output[-4000:]}"
    others = errors - missing - {"update failed", "preview failed"}
    assert not others, f"the program failed before reaching the provider: {others}"
