"""Every validation rule of cloudlab:proxmox, each error naming its key."""

from __future__ import annotations

from typing import Any

import pytest

from components.errors import ConfigError
from components.proxmox.settings import (
    DEFAULT_NODES,
    Placement,
    ProxmoxSettings,
    parse_proxmox_settings,
    slot_key,
)


def parse(**raw: Any) -> ProxmoxSettings:
    return parse_proxmox_settings({"group": "g07", "baseId": 42, **raw})


def test_defaults_are_the_labs_values() -> None:
    s = parse()
    assert s.nodes == DEFAULT_NODES == ("srv-px1", "srv-px2")
    assert (s.memory, s.swap, s.disk, s.cores) == (512, 0, 4, 1)
    assert (s.storage, s.bridge, s.os_type, s.unprivileged) == (
        "local-lvm",
        "vmbr0",
        "debian",
        True,
    )
    assert s.placement == ()


def test_id_scheme_and_hostnames() -> None:
    s = parse()
    assert s.vmid(1) == 4201
    assert s.vmid(99) == 4299
    assert s.hostname(3) == "ct-tpgei-virt-g07-ct03"
    assert [s.number_of(v) for v in (4201, 4299, 4200, 4301, 42, 104201)] == [
        1,
        99,
        None,
        None,
        None,
        None,
    ]
    assert slot_key(7) == "ct07"


def test_id_range_edges() -> None:
    assert parse(baseId=1).vmid(1) == 101
    assert parse(baseId=9_999_999).vmid(99) == 999_999_999


def test_placement_accepts_names_objects_and_text_booleans() -> None:
    s = parse(
        placement={
            "ct3": "srv-px2",
            "ct01": {"node": "srv-px1"},
            "ct99": {"node": "srv-px2", "started": False},
            "ct10": {"node": "srv-px1", "started": "false"},
        }
    )
    assert s.placement == (
        Placement(1, "srv-px1"),
        Placement(3, "srv-px2"),
        Placement(10, "srv-px1", started=False),
        Placement(99, "srv-px2", started=False),
    )


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"baseId": 0}, "baseId"),
        ({"baseId": 10_000_000}, "baseId"),
        ({"baseId": True}, "baseId"),
        ({"baseId": "x"}, "baseId"),
        ({"group": "G 7"}, "group"),
        ({"group": "a" * 45}, "group"),
        ({"nodes": []}, "nodes"),
        ({"nodes": ["srv-px1", "srv-px1"]}, "nodes"),
        ({"nodes": ["srv_px1"]}, "nodes[0]"),
        ({"memory": 0}, "memory"),
        ({"memory": -512}, "memory"),
        ({"swap": -1}, "swap"),
        ({"disk": 0}, "disk"),
        ({"cores": 0}, "cores"),
        ({"osType": "windows"}, "osType"),
        ({"template": ""}, "template"),
        ({"bridge": 3}, "bridge"),
        ({"unprivileged": "yes"}, "unprivileged"),
        ({"sshPublicKeys": [""]}, "sshPublicKeys"),
        ({"placement": ["ct01"]}, "placement"),
        ({"placement": {"ct00": "srv-px1"}}, "placement.ct00"),
        ({"placement": {"ct100": "srv-px1"}}, "placement.ct100"),
        ({"placement": {"1": "srv-px1"}}, "placement.1"),
        ({"placement": {"ct1": "srv-px1", "ct01": "srv-px2"}}, "placement.ct01"),
        ({"placement": {"ct01": "srv-px9"}}, "placement.ct01"),
        ({"placement": {"ct01": {"node": "srv-px9"}}}, "placement.ct01.node"),
        ({"placement": {"ct01": {"node": "srv-px1", "started": 1}}}, "placement.ct01.started"),
        ({"placement": {"ct01": {"node": "srv-px1", "cpu": 1}}}, "placement.ct01.cpu"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_values_name_their_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(**raw)
    assert info.value.key == f"cloudlab:proxmox.{key}"


@pytest.mark.parametrize(("missing", "key"), [("group", "group"), ("baseId", "baseId")])
def test_group_and_base_id_are_required(missing: str, key: str) -> None:
    raw = {"group": "g07", "baseId": 42}
    del raw[missing]
    with pytest.raises(ConfigError) as info:
        parse_proxmox_settings(raw)
    assert info.value.key == f"cloudlab:proxmox.{key}"


def test_no_object_at_all() -> None:
    with pytest.raises(ConfigError, match="cloudlab:proxmox: missing"):
        parse_proxmox_settings(None)
    with pytest.raises(ConfigError, match="expected an object"):
        parse_proxmox_settings("g07")  # type: ignore[arg-type]
