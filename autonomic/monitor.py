"""Monitor: read node memory and the group's containers through the Proxmox API."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from autonomic.model import ContainerState, NodeUsage, Snapshot
from components.proxmox.settings import ProxmoxSettings


def monitor(
    api: Any, settings: ProxmoxSettings, clock: Callable[[], float] = time.time
) -> Snapshot:
    """One pass: ``/nodes``, then for each configured node ``/nodes/{node}/status`` and
    ``/nodes/{node}/lxc``, then ``/nodes/{node}/lxc/{vmid}/status/current`` for each of
    the group's containers. API errors propagate: a round with a blind spot is no round.
    """
    listed = {n["node"]: n for n in api.nodes.get()}
    nodes: list[NodeUsage] = []
    containers: list[ContainerState] = []
    for name in settings.nodes:
        entry = listed.get(name)
        if entry is None or entry.get("status") != "online":
            nodes.append(NodeUsage(name, 0, 0, online=False))
            continue
        memory = api.nodes(name).status.get()["memory"]
        nodes.append(NodeUsage(name, int(memory["used"]), int(memory["total"])))
        for ct in api.nodes(name).lxc.get():
            vmid = int(ct["vmid"])
            if settings.number_of(vmid) is None:
                continue
            current = api.nodes(name).lxc(vmid).status.current.get()
            containers.append(
                ContainerState(
                    vmid=vmid,
                    node=name,
                    status=str(current["status"]),
                    mem=int(current.get("mem", 0)),
                    maxmem=int(current.get("maxmem", 0)),
                )
            )
    containers.sort(key=lambda c: c.vmid)
    return Snapshot(tuple(nodes), tuple(containers), clock())
