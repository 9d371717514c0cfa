"""The autonomic manager's migrate is Proxmox's migrate call: against the local Proxmox API
(localcloud.proxmox, fakepve, which runs PVE's migrate as a task), the container moves with
its id and its configuration; it is not deleted and made again."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from autonomic.execute import ApiExecutor
from autonomic.log import DecisionLog
from autonomic.model import Action, Decision
from autonomic.settings import AutonomicSettings
from components.proxmox.settings import parse_proxmox_settings
from localcloud.proxmox import LocalProxmox, serve

PX1, PX2 = "srv-px1", "srv-px2"


@pytest.fixture(scope="module")
def local() -> Iterator[LocalProxmox]:
    with serve() as started:
        yield started


def test_a_migrated_container_keeps_its_id_and_configuration(local: LocalProxmox) -> None:
    api = local.client()
    settings = parse_proxmox_settings({"group": "g07", "baseId": 42})
    timing = AutonomicSettings(poll_interval=0.02, task_timeout=30.0, attempts=1, backoff=0.01)
    stream = io.StringIO()
    executor = ApiExecutor(api, settings, timing, DecisionLog(stream))
    vmid = 4201

    def run(*actions: Action) -> None:
        executor.execute([Decision("test", "because", a) for a in actions])

    run(Action("create", vmid, PX1), Action("start", vmid, PX1))
    api.nodes(PX1).lxc(vmid).config.put(description="student data: keep me")
    before = api.nodes(PX1).lxc(vmid).config.get()

    run(Action("stop", vmid, PX1), Action("migrate", vmid, PX1, PX2), Action("start", vmid, PX2))

    assert vmid not in [int(c["vmid"]) for c in api.nodes(PX1).lxc.get()]
    after = api.nodes(PX2).lxc(vmid).config.get()
    assert after["description"].strip() == "student data: keep me"
    assert {k: after[k] for k in ("hostname", "memory", "rootfs")} == {
        k: before[k] for k in ("hostname", "memory", "rootfs")
    }
    assert api.nodes(PX2).lxc(vmid).status.current.get()["status"] == "running"
    done = [json.loads(line) for line in stream.getvalue().splitlines()]
    kinds = [r["action"] for r in done if r["event"] == "executed"]
    assert kinds == ["create", "start", "stop", "migrate", "start"]  # no delete, no create
    run(Action("stop", vmid, PX2), Action("delete", vmid, PX2))
    assert vmid not in [int(c["vmid"]) for c in api.nodes(PX2).lxc.get()]
