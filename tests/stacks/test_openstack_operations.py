"""The OpenStack stack's VM operations, driven by config: resize warnings against the flavor
deployed last, snapshots of lab VMs, and VMs booted from them."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

import stacks
from components.errors import ConfigError
from tests.harness import Recording, run_program
from tests.openstack_types import VM

COMMAND = "pulumi-python:dynamic/cloudlab/local:Command"


def run(
    calculator: dict[str, Any] | None = None,
    operations: dict[str, Any] | None = None,
    deployed: dict[str, Any] | None = None,
    recording: Recording | None = None,
) -> Recording:
    config: dict[str, Any] = {
        "cloudlab:environment": "openstack",
        "cloudlab:calculator": calculator or {},
    }
    if operations is not None:
        config["cloudlab:vmOperations"] = operations

    def program() -> None:
        stacks.dispatch("openstack", pulumi.Config("cloudlab"))

    return run_program(program, config, recording=recording, stack_outputs=deployed)


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: seen.append(message))
    return seen


def test_the_deployed_flavor_is_exported_for_the_next_resize() -> None:
    rec = run({"flavor": "nano"})
    assert rec.exports["flavor"] == "nano"
    assert rec.exports["snapshots"] == {}


def test_shrinking_resize_warns_for_every_vm(warnings: list[str]) -> None:
    rec = run({"flavor": "nano"}, deployed={"flavor": "small2"})
    assert {vm.inputs["flavorName"] for vm in rec.of_type(VM)} == {"nano"}
    shrinking = [w for w in warnings if "small2 -> nano shrinks the VM" in w]
    assert sorted(w.split(":")[0] for w in shrinking) == [
        "calc-calculator",
        "calc-div",
        "calc-mul",
        "calc-sub",
        "calc-sum",
    ]
    assert "RAM 1024 MB -> 512 MB" in shrinking[0]


@pytest.mark.parametrize("deployed", [None, {"flavor": "nano"}, {"flavor": "small2"}])
def test_growing_first_or_same_flavor_does_not_warn(
    warnings: list[str], deployed: dict | None
) -> None:
    run({"flavor": "small2"}, deployed=deployed)
    assert warnings == []


def test_unknown_flavor_sizes_are_said_not_guessed(warnings: list[str]) -> None:
    run({"flavor": "gpu.huge"}, deployed={"flavor": "small2"})
    assert warnings and all("cannot tell whether it shrinks" in w for w in warnings)


def test_snapshot_and_a_vm_booted_from_it() -> None:
    rec = run(
        operations={
            "snapshots": {"calculator-snapshot": "calculator"},
            "restored": {"calculator-copy": "calculator-snapshot"},
            "openstackCloud": "insa",
        }
    )
    (snapshot,) = rec.of_type(COMMAND)
    assert snapshot.parent_type == "cloudlab:openstack:VmSnapshot"
    assert snapshot.inputs["create"] == (
        "out=$(openstack server image create --name calculator-snapshot --wait -f value -c id "
        'calc-calculator-vm-id) || exit $?; printf "%s\\n" "$out" | tail -n 1'
    )
    assert snapshot.inputs["delete"] == 'openstack image delete "$PULUMI_COMMAND_STDOUT"'
    assert snapshot.inputs["environment"] == {"OS_CLOUD": "insa"}

    copy = rec.named("calc-calculator-copy-vm")
    assert copy.inputs["imageId"] == f"{snapshot.name}-stdout"  # by id: names can repeat
    assert "imageName" not in copy.inputs
    assert snapshot.urn in copy.dependencies
    port = rec.named("calc-calculator-copy-port").inputs
    assert port["networkId"] == "calc-frontend-net-id"
    assert port["securityGroupIds"] == ["calc-gateway-sg-id"]
    assert "calc-calculator-copy-fip" not in {r.name for r in rec}  # no second public VM
    assert set(rec.exports["snapshots"]) == {"calculator-snapshot"}
    assert rec.exports["privateIps"]["calculator-copy"].startswith("192.168.210.")


@pytest.mark.parametrize(
    ("operations", "key", "hint"),
    [
        ({"snapshot": {}}, "cloudlab:vmOperations.snapshot", "unknown setting"),
        ({"snapshots": {"img": "gateway"}}, "cloudlab:vmOperations.snapshots.img", "calculator"),
        ({"snapshots": {"bad name!": "sum"}}, "cloudlab:vmOperations.snapshots.bad name!",
         "letters, digits"),
        ({"restored": {"copy": "nope"}}, "cloudlab:vmOperations.restored.copy", "none"),
        ({"snapshots": {"img": "sum"}, "restored": {"sub": "img"}},
         "cloudlab:vmOperations.restored.sub", "a new VM name"),
        ({"flavorSizes": {"nano": {"vcpus": -1, "ramMb": 512}}},
         "cloudlab:vmOperations.flavorSizes.nano.vcpus", "whole number"),
        ({"openstackCloud": ""}, "cloudlab:vmOperations.openstackCloud", "non-empty"),
    ],
)  # fmt: skip
def test_bad_operations_fail_before_anything_is_registered(
    operations: dict, key: str, hint: str
) -> None:
    recording = Recording()
    with pytest.raises(ConfigError) as caught:
        run(operations=operations, recording=recording)
    assert caught.value.key == key
    assert hint in str(caught.value)
    assert recording.resources == []


def test_replicas_can_be_snapshotted_by_their_key() -> None:
    rec = run({"replicas": 2}, operations={"snapshots": {"sum-img": "sum-2"}})
    (snapshot,) = rec.of_type(COMMAND)
    assert "--wait -f value -c id calc-sum-2-vm-id)" in snapshot.inputs["create"]
