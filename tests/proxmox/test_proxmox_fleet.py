"""ContainerFleet under Pulumi mocks: counts, ids, names, nodes, sizes, parent=self.

The ``proxmox`` environment is not registered in ``stacks.ENVIRONMENTS`` by this change, so
the stack's ``run`` goes through ``harness.run_program`` directly, as ``__main__`` would.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

import stacks.proxmox
from components.errors import ConfigError
from tests.harness import Recording, run_program

CT = "proxmoxve:index/containerLegacy:ContainerLegacy"
FLEET = "cloudlab:proxmox:ContainerFleet"


def run_proxmox(proxmox: Any, recording: Recording | None = None) -> Recording:
    def program() -> None:
        stacks.proxmox.run(pulumi.Config("cloudlab"))

    config = {"cloudlab:environment": "proxmox", "cloudlab:proxmox": proxmox}
    return run_program(program, config, recording=recording)


def lab(**overrides: Any) -> dict[str, Any]:
    placement = {"ct01": "srv-px1", "ct02": "srv-px2", "ct03": "srv-px1"}
    return {"group": "g07", "baseId": 42, "placement": placement, **overrides}


@pytest.fixture(scope="module")
def fleet() -> Recording:
    return run_proxmox(
        lab(placement={**lab()["placement"], "ct12": {"node": "srv-px2", "started": False}})
    )


def test_one_container_per_placed_slot(fleet: Recording) -> None:
    assert fleet.types() == {FLEET: 1, CT: 4}
    names = sorted(r.name for r in fleet.of_type(CT))
    assert names == ["ct-g07-ct01", "ct-g07-ct02", "ct-g07-ct03", "ct-g07-ct12"]


def test_ids_hostnames_and_nodes_follow_the_lab(fleet: Recording) -> None:
    got = {
        r.inputs["vmId"]: (r.inputs["nodeName"], r.inputs["initialization"]["hostname"])
        for r in fleet.of_type(CT)
    }
    assert got == {
        4201: ("srv-px1", "ct-tpgei-virt-g07-ct01"),
        4202: ("srv-px2", "ct-tpgei-virt-g07-ct02"),
        4203: ("srv-px1", "ct-tpgei-virt-g07-ct03"),
        4212: ("srv-px2", "ct-tpgei-virt-g07-ct12"),
    }


def test_every_container_is_a_child_of_the_fleet(fleet: Recording) -> None:
    for r in fleet.of_type(CT):
        assert r.parent_type == FLEET
        assert r.type_chain == [FLEET, CT]


def test_sizes_template_storage_and_dhcp_on_the_bridge(fleet: Recording) -> None:
    r = fleet.named("ct-g07-ct01").inputs
    assert r["memory"] == {"dedicated": 512, "swap": 0}
    assert r["cpu"] == {"cores": 1}
    assert r["disk"] == {"datastoreId": "local-lvm", "size": 4}
    assert r["operatingSystem"] == {
        "templateFileId": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        "type": "debian",
    }
    assert r["networkInterfaces"] == [{"name": "eth0", "bridge": "vmbr0"}]
    assert r["initialization"]["ipConfigs"] == [{"ipv4": {"address": "dhcp"}}]
    assert "userAccount" not in r["initialization"]
    assert r["unprivileged"] is True
    assert r["tags"] == ["cloudlab", "g07"]


def test_placement_decides_started(fleet: Recording) -> None:
    started = {r.inputs["vmId"]: r.inputs["started"] for r in fleet.of_type(CT)}
    assert started == {4201: True, 4202: True, 4203: True, 4212: False}


def test_exports_map_hostnames_to_ids_and_nodes(fleet: Recording) -> None:
    assert fleet.exports["vmIds"]["ct-tpgei-virt-g07-ct12"] == 4212
    assert fleet.exports["nodes"] == {
        "ct-tpgei-virt-g07-ct01": "srv-px1",
        "ct-tpgei-virt-g07-ct02": "srv-px2",
        "ct-tpgei-virt-g07-ct03": "srv-px1",
        "ct-tpgei-virt-g07-ct12": "srv-px2",
    }


def test_config_values_reach_every_container() -> None:
    rec = run_proxmox(
        lab(
            memory=2048,
            swap=256,
            disk=8,
            cores=2,
            storage="ceph-pool",
            bridge="vmbr1",
            template="nfs:vztmpl/alpine.tar.xz",
            osType="alpine",
            unprivileged=False,
            sshPublicKeys=["ssh-ed25519 AAAA lab"],
            nodes=["pve-a", "pve-b", "pve-c"],
            placement={"ct05": "pve-c"},
        )
    )
    [r] = rec.of_type(CT)
    i = r.inputs
    assert (i["vmId"], i["nodeName"]) == (4205, "pve-c")
    assert i["memory"] == {"dedicated": 2048, "swap": 256}
    assert i["cpu"] == {"cores": 2}
    assert i["disk"] == {"datastoreId": "ceph-pool", "size": 8}
    assert i["networkInterfaces"][0]["bridge"] == "vmbr1"
    assert i["operatingSystem"]["type"] == "alpine"
    assert i["unprivileged"] is False
    assert i["initialization"]["userAccount"] == {"keys": ["ssh-ed25519 AAAA lab"]}


def test_an_empty_placement_makes_no_container() -> None:
    rec = run_proxmox(lab(placement={}))
    assert rec.of_type(CT) == []
    assert rec.exports["vmIds"] == {}


def test_bad_config_registers_nothing() -> None:
    rec = Recording()
    with pytest.raises(ConfigError, match=r"cloudlab:proxmox\.placement\.ct02"):
        run_proxmox(lab(placement={"ct02": "srv-px9"}), rec)
    assert rec.resources == []


def test_a_migration_replaces_the_container_deleting_it_first() -> None:
    import pulumi_proxmoxve as proxmoxve

    from components.proxmox.fleet import ContainerFleet, ContainerFleetArgs
    from components.proxmox.settings import parse_proxmox_settings

    seen: list[pulumi.ResourceOptions] = []
    original = proxmoxve.ContainerLegacy.__init__

    def spy(self: Any, name: str, *args: Any, **kwargs: Any) -> None:
        seen.append(kwargs["opts"])
        original(self, name, *args, **kwargs)

    settings = parse_proxmox_settings(lab())
    proxmoxve.ContainerLegacy.__init__ = spy  # type: ignore[method-assign]
    try:
        run_program(lambda: ContainerFleet("f", ContainerFleetArgs(settings=settings)))
    finally:
        proxmoxve.ContainerLegacy.__init__ = original  # type: ignore[method-assign]
    assert len(seen) == 3
    assert all(o.delete_before_replace for o in seen)


def test_dispatch_runs_the_proxmox_stack(run_stack) -> None:
    rec = run_stack(
        "proxmox",
        {"cloudlab:proxmox": {"group": "g07", "baseId": 42, "placement": {"ct01": "srv-px1"}}},
    )
    assert [r.inputs["vmId"] for r in rec.of_type(CT)] == [4201]
