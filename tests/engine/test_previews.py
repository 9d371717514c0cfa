"""``pulumi preview`` of every cloud stack file on the real engine.

- ``openstack`` and ``k8s-workload`` have their plugins (built by ``make toolchain``) and a
  local cloud: they go all the way, to ``up`` and ``destroy``, in tests/localcloud/. Here the
  ``k8s-workload`` preview runs without any cluster: the plugin plans the six resources anyway.
- ``kubernetes`` (the kubeadm cluster on OpenStack) has its plugins too (openstack, random, tls,
  kubernetes; random and tls bridged by toolchain/plugins/): its preview, against the local
  OpenStack's data sources, must complete and plan the whole cluster. Its ``up`` runs in
  tests/localcloud/test_kubeadm_stack.py.
- ``proxmox`` is not here any more: with the bridged proxmoxve plugin its preview and ``up``
  run for real against a local Proxmox API (tests/localcloud/test_proxmox_stack.py).

Any other failure (a program bug, a config error, a crash) fails.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from localcloud.openstack import CLOUD_NAME
from localcloud.openstack.clouds import clouds_file
from tests.engine.pulumi_project import PulumiProject, make_project

pytestmark = pytest.mark.engine

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: admin, user: {token: placeholder}}]
contexts: [{name: lab, context: {cluster: lab, user: admin}}]
current-context: lab
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> PulumiProject:
    built = make_project(
        tmp_path_factory.mktemp("previews"),
        plugins=("openstack", "kubernetes", "random", "tls"),
    )
    built.env["OS_CLOUD"] = CLOUD_NAME
    # The provider (gophercloud) reads ~/.config/openstack/clouds.yaml, not $XDG_CONFIG_HOME's,
    # where the local cloud writes it when that is set: name the file.
    built.env["OS_CLIENT_CONFIG_FILE"] = str(clouds_file())
    return built


def test_every_stack_file_is_covered() -> None:
    repo = Path(__file__).resolve().parents[2]
    files = {
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in repo.glob("Pulumi.*.yaml")
    }
    # dev, dockerlab, virtualbox, openstack, k8s-local, kubernetes-local, proxmox, cloudfoundry
    # and appengine-local run for real in their own tests; appengine previews up to its missing
    # gcp plugin in tests/paas/test_appengine_preview.py.
    covered = {"dev", "dockerlab", "virtualbox", "openstack", "k8s-local", "proxmox"}
    covered |= {"kubernetes-local", "cloudfoundry", "appengine-local", "appengine"}
    covered |= {"classroom"}  # up, status and down for real in tests/classroom/
    assert files - covered == {"k8s-workload", "kubernetes"}


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
def test_kubernetes_previews_the_whole_cluster(project: PulumiProject) -> None:
    """The lab's own stack file, with the one key a user must set (who may reach the API): the
    preview completes and plans the three servers, the PKI and the bootstrap token."""
    project.stack("kubernetes", config_from="kubernetes")
    project.run(
        "config", "set", "--path", "cloudlab:kubernetes.apiAllowedCidrs[0]",
        "203.0.113.7/32", "--stack", "kubernetes",
    )  # fmt: skip
    res = project.run("preview", "--stack", "kubernetes", "--json")
    steps = json.loads(res.stdout)["steps"]
    created = Counter(s["urn"].split("::")[2].split("$")[-1] for s in steps if s["op"] == "create")
    assert created["openstack:compute/instance:Instance"] == 3, created
    assert created["random:index/randomPassword:RandomPassword"] == 2, created
    assert created["tls:index/privateKey:PrivateKey"] == 2, created
    assert created["tls:index/selfSignedCert:SelfSignedCert"] == 1, created
    assert created["tls:index/locallySignedCert:LocallySignedCert"] == 1, created
    assert created["kubernetes:apps/v1:Deployment"] == 1, created
