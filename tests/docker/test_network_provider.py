"""NetworkProvider against the real engine: create, read, diff, delete (idempotent)."""

from __future__ import annotations

import docker.errors
import pytest

from components.dynamic.docker import STACK_LABEL, NetworkArgs, NetworkProvider

pytestmark = pytest.mark.docker


def test_network_lifecycle(engine, stack, free_subnets):
    subnet = free_subnets()
    gateway = str(subnet[254])
    args = NetworkArgs(
        name=f"{stack}-back", subnet=str(subnet), gateway=gateway, internal=True, stack=stack,
        labels={"role": "back"},
    )  # fmt: skip
    p = NetworkProvider()
    created = p.create(args.to_props())
    attrs = engine.networks.get(created.id).attrs
    assert attrs["Name"] == f"{stack}-back"
    assert attrs["Internal"] is True
    assert attrs["IPAM"]["Config"][0] == {"Subnet": str(subnet), "Gateway": gateway}
    assert attrs["Labels"][STACK_LABEL] == stack and attrs["Labels"]["role"] == "back"
    assert created.outs["network_id"] == created.id and created.outs["gateway"] == gateway

    read = p.read(created.id, created.outs)
    assert read.id == created.id and read.outs["input_hashes"] == created.outs["input_hashes"]
    assert p.diff(created.id, read.outs, args.to_props()).changes is False
    assert p.diff(created.id, read.outs, dict(args.to_props(), internal=False)).replaces == [
        "internal"
    ]

    with pytest.raises(RuntimeError, match="already exists"):
        p.create(dict(args.to_props(), internal=not args.internal))

    p.delete(created.id, created.outs)
    with pytest.raises(docker.errors.NotFound):
        engine.networks.get(created.id)
    p.delete(created.id, created.outs)  # idempotent
    assert p.read(created.id, created.outs).id == ""  # vanished: drops out of the state
