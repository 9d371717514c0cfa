"""The proxmox stack for real: the bridged proxmoxve plugin against a Proxmox API on 127.0.0.1.

``pulumi preview`` and ``up`` of ``Pulumi.proxmox.yaml`` (the group's LXC fleet), each fact then
checked through proxmoxer, never through Pulumi's view: every container on its node with the
lab's id (``XXYY``) and hostname, memory, swap, cores, root disk, network and tags, running. A
second ``up`` changes nothing and starts no Proxmox task; the autonomic manager's declarative
executor moves a container to the other node through the Automation API; ``destroy`` leaves no
container.

The expectations are computed here from the YAML file, independently of components/proxmox: a
regression in the fleet's naming or sizing fails the test instead of moving with it.

The tests share one deployment and run in file order (preview, up, checks, move, destroy).
Needs ``make toolchain`` (the engine and the proxmoxve plugin); without them they fail.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from proxmoxer import ProxmoxAPI

from localcloud.proxmox import LocalProxmox, serve
from tests.engine.pulumi_project import REPO, PulumiProject, make_project, toolchain_bin

pytestmark = pytest.mark.engine

STACK = "proxmox"
CONFIG = yaml.safe_load((REPO / "Pulumi.proxmox.yaml").read_text())["config"]
LAB = CONFIG["cloudlab:proxmox"]


def expected(placement: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """vmid -> what the lab's scheme says about that container (docs/labs/proxmox.md)."""
    out = {}
    for slot, where in placement.items():
        number = int(slot.removeprefix("ct"))
        node, started = (where, True) if isinstance(where, str) else (where["node"], True)
        if isinstance(where, dict) and where.get("started") is False:
            started = False
        out[LAB["baseId"] * 100 + number] = {
            "node": node,
            "hostname": f"ct-tpgei-virt-{LAB['group']}-ct{number:02d}",
            "status": "running" if started else "stopped",
        }
    return out


def containers(api: ProxmoxAPI) -> dict[int, tuple[str, dict[str, Any]]]:
    """Every container of the cluster: vmid -> (node, its list entry)."""
    out = {}
    for node in api.nodes.get():
        for ct in api.nodes(node["node"]).lxc.get():
            assert int(ct["vmid"]) not in out, f"{ct['vmid']} listed on two nodes"
            out[int(ct["vmid"])] = (node["node"], ct)
    return out


def check_fleet(api: ProxmoxAPI, want: dict[int, dict[str, Any]]) -> None:
    """The cluster holds exactly ``want``, each container as the lab's config describes it."""
    found = containers(api)
    assert sorted(found) == sorted(want)
    for vmid, spec in want.items():
        node, entry = found[vmid]
        assert node == spec["node"], vmid
        assert entry["status"] == spec["status"], vmid
        conf = api.nodes(node).lxc(vmid).config.get()
        assert conf["hostname"] == spec["hostname"]
        assert int(conf["memory"]) == LAB["memory"]
        assert int(conf["swap"]) == LAB["swap"]
        assert int(conf["cores"]) == LAB["cores"]
        assert conf["rootfs"] == f"{LAB['storage']}:vm-{vmid}-disk-0,size={LAB['disk']}G"
        net = dict(p.split("=", 1) for p in conf["net0"].split(","))
        assert (net["name"], net["bridge"], net["ip"]) == ("eth0", LAB["bridge"], "dhcp")
        assert conf["ostype"] == LAB["osType"]
        assert conf["tags"].split(";") == ["cloudlab", LAB["group"]]
        assert int(conf["unprivileged"]) == 1
        assert int(conf["onboot"]) == (1 if spec["status"] == "running" else 0)
        description = f"cloudlab: group {LAB['group']}, container {vmid % 100:02d}"
        assert conf["description"].strip() == description


def task_count(local: LocalProxmox) -> int:
    """Proxmox tasks started so far (every create, start, shutdown, delete, migrate is one)."""
    return len(local.pve.tasks)


@pytest.fixture(scope="module")
def local() -> Iterator[LocalProxmox]:
    with serve() as started:
        yield started


@pytest.fixture(scope="module")
def api(local: LocalProxmox) -> ProxmoxAPI:
    return local.client()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, local: LocalProxmox) -> PulumiProject:
    built = make_project(tmp_path_factory.mktemp("proxmox"), plugins=("proxmoxve",))
    built.env.update(local.provider_env())
    built.stack(STACK, STACK)
    return built


def steps(project: PulumiProject, *args: str) -> dict[str, list[str]]:
    """Operation -> resource types of ``pulumi preview --json``."""
    res = project.run("preview", "--stack", STACK, "--json", *args)
    out: dict[str, list[str]] = {}
    for step in json.loads(res.stdout)["steps"]:
        kind = step["urn"].split("::")[2].rsplit("$", 1)[-1]
        out.setdefault(step["op"], []).append(kind)
    return out


def test_preview_plans_one_container_per_placed_slot(
    project: PulumiProject, api: ProxmoxAPI
) -> None:
    plan = steps(project)
    created = plan.get("create", [])
    assert created.count("proxmoxve:index/containerLegacy:ContainerLegacy") == len(LAB["placement"])
    assert set(plan) == {"create"}
    assert containers(api) == {}, "a preview created something"


def test_up_creates_each_container_on_its_node(project: PulumiProject, api: ProxmoxAPI) -> None:
    project.run("up", "--yes", "--stack", STACK)
    check_fleet(api, expected(LAB["placement"]))


def test_stack_outputs_are_the_clusters(project: PulumiProject, api: ProxmoxAPI) -> None:
    res = project.run("stack", "output", "--json", "--stack", STACK)
    outputs = json.loads(res.stdout)
    found = containers(api)
    assert {int(v) for v in outputs["vmIds"].values()} == set(found)
    for hostname, vmid in outputs["vmIds"].items():
        node, entry = found[int(vmid)]
        assert outputs["nodes"][hostname] == node
        assert entry["name"] == hostname


def test_second_up_changes_nothing(
    project: PulumiProject, api: ProxmoxAPI, local: LocalProxmox
) -> None:
    before = task_count(local)
    res = project.run("up", "--yes", "--stack", STACK, "--expect-no-changes")
    assert "5 unchanged" in res.stdout
    assert task_count(local) == before, "the second up started Proxmox tasks"
    check_fleet(api, expected(LAB["placement"]))


def test_declarative_executor_moves_a_container(
    project: PulumiProject, api: ProxmoxAPI, local: LocalProxmox
) -> None:
    """The autonomic manager's declarative executor: a migrate decision runs as Proxmox's
    migrate call (stop, migrate, start: the container is kept, not made again), the stack's
    state and its placement config follow, and the one ``pulumi up`` through the Automation
    API has nothing left to do for it; the others are untouched."""
    from pulumi import automation

    from autonomic.execute import DeclarativeExecutor
    from autonomic.log import DecisionLog
    from autonomic.model import Action, Decision
    from components.proxmox.settings import parse_proxmox_settings

    placement = dict(LAB["placement"])
    slot = "ct01"
    vmid = LAB["baseId"] * 100 + 1
    source = placement[slot]
    target = next(n for n in LAB["nodes"] if n != source)
    others = {v: containers(api)[v] for v in containers(api) if v != vmid}

    stack = automation.select_stack(
        stack_name=STACK,
        work_dir=str(project.workdir),
        opts=automation.LocalWorkspaceOptions(
            env_vars=project.env,
            pulumi_command=automation.PulumiCommand(root=str(toolchain_bin().parent)),
        ),
    )
    log = io.StringIO()
    from autonomic.settings import AutonomicSettings

    timing = AutonomicSettings(poll_interval=0.05, task_timeout=60.0, attempts=1)
    executor = DeclarativeExecutor(
        stack, parse_proxmox_settings(LAB), DecisionLog(log), api=api, timing=timing
    )
    tasks_before = set(local.pve.tasks)
    plan = [
        Action("stop", vmid, source),
        Action("migrate", vmid, source, target),
        Action("start", vmid, target),
    ]
    executor.execute([Decision("migration", f"{source} is loaded", a) for a in plan])
    kinds = [
        upid.split(":")[5]
        for upid in set(local.pve.tasks) - tasks_before
        if upid.split(":")[6] == str(vmid)
    ]
    assert "vzmigrate" in kinds, kinds
    assert "vzcreate" not in kinds and "vzdestroy" not in kinds, kinds  # kept, not made again

    events = [json.loads(line) for line in log.getvalue().splitlines()]
    assert events[-1]["event"] == "executed", events
    assert events[-1]["result"] == "succeeded"
    placement[slot] = target
    check_fleet(api, expected(placement))
    after = containers(api)
    for other, (node, entry) in others.items():
        assert after[other][0] == node and after[other][1]["status"] == entry["status"]
    config = yaml.safe_load(Path(project.workdir / f"Pulumi.{STACK}.yaml").read_text())
    assert config["config"]["cloudlab:proxmox"]["placement"][slot] == target


def test_destroy_leaves_no_container(project: PulumiProject, api: ProxmoxAPI) -> None:
    project.run("destroy", "--yes", "--stack", STACK)
    assert containers(api) == {}
