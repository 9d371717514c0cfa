"""Analyse and plan: pure functions of a :class:`Snapshot`, the fleet settings and thresholds.

Threshold edges, everywhere the same: the generator creates only while the cluster's memory
use is *strictly below* the creation limit; a node *at or above* the migration threshold moves
a container away; a node *at or above* the dropping threshold stops its oldest containers.

Priorities in one round (:func:`plan`): the offloader acts on nodes at or above the dropping
threshold, the load balancer on nodes between the migration and the dropping thresholds, and
the generator only when no node is at or above the migration threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from autonomic.model import Action, ContainerState, Decision, NodeUsage, Snapshot
from autonomic.settings import AutonomicSettings
from components.proxmox.settings import MAX_NUMBER, ProxmoxSettings

NODE_WEIGHTS_FIRST = 2
"""The first node gets two new containers for each one on any other node (66% / 33%)."""


@dataclass(frozen=True)
class Analysis:
    """Where each node stands against the thresholds."""

    cluster_usage: float
    """Memory used over memory available, summed over the online nodes."""
    dropping: tuple[str, ...]
    """Nodes at or above the dropping threshold."""
    migrating: tuple[str, ...]
    """Nodes at or above the migration threshold, below the dropping one."""

    @property
    def hot(self) -> bool:
        """Whether some node is at or above the migration threshold."""
        return bool(self.dropping or self.migrating)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def analyse(snapshot: Snapshot, t: AutonomicSettings) -> Analysis:
    """Compare every online node and the whole cluster with the thresholds."""
    online = [n for n in snapshot.nodes if n.online]
    total = sum(n.mem_total for n in online)
    cluster = sum(n.mem_used for n in online) / total if total > 0 else 1.0
    # A node reporting no memory cannot be judged (nor relieved): no move, no drop there.
    measured = [n for n in online if n.mem_total > 0]
    return Analysis(
        cluster_usage=cluster,
        dropping=tuple(n.name for n in measured if n.usage >= t.dropping_threshold),
        migrating=tuple(
            n.name for n in measured if t.migration_threshold <= n.usage < t.dropping_threshold
        ),
    )


def next_node(counts: dict[str, int], nodes: Iterable[str]) -> str:
    """Node for the next container: the first node weighs 2, the others 1.

    Picks the node whose share would grow least, ``(count + 1) / weight``; ties go to the
    earlier node. Two nodes thus take turns 1, 1, 2, 1, 1, 2, ...: a 2:1 split at every
    multiple of three containers.
    """
    order = list(nodes)
    if not order:
        raise ValueError("no node to place a container on")

    def share(i: int) -> tuple[float, int]:
        weight = NODE_WEIGHTS_FIRST if i == 0 else 1
        return ((counts.get(order[i], 0) + 1) / weight, i)

    return order[min(range(len(order)), key=share)]


def generate(snapshot: Snapshot, s: ProxmoxSettings, t: AutonomicSettings) -> list[Decision]:
    """Generator: one new container (create, then start) while under the creation limit."""
    analysis = analyse(snapshot, t)
    if analysis.hot:
        hot = ", ".join(analysis.dropping + analysis.migrating)
        return [Decision("generator", f"paused: {hot} at or above the migration threshold")]
    usage = analysis.cluster_usage
    if usage >= t.creation_limit:
        reason = f"cluster memory {_pct(usage)} >= creation limit {_pct(t.creation_limit)}"
        return [Decision("generator", reason)]
    used = {n for c in snapshot.containers if (n := s.number_of(c.vmid)) is not None}
    free = [n for n in range(1, MAX_NUMBER + 1) if n not in used]
    if not free:
        return [Decision("generator", f"all {MAX_NUMBER} container numbers are in use")]
    online = [n.name for n in snapshot.nodes if n.online and n.name in s.nodes]
    if not online:
        return [Decision("generator", "no configured node is online")]
    counts = {name: len(snapshot.on(name)) for name in online}
    node = next_node(counts, [n for n in s.nodes if n in online])
    vmid = s.vmid(free[0])
    reason = (
        f"cluster memory {_pct(usage)} < creation limit {_pct(t.creation_limit)}; "
        f"split {counts} puts the next container on {node}"
    )
    return [
        Decision("generator", reason, Action("create", vmid, node)),
        Decision("generator", "start the new container", Action("start", vmid, node)),
    ]


def balance(snapshot: Snapshot, t: AutonomicSettings) -> list[Decision]:
    """Load balancer: each node between the two thresholds moves its newest running container.

    The container goes to the least used other online node, provided that node stays below
    the migration threshold with it; it is stopped, migrated and started again.
    """
    analysis = analyse(snapshot, t)
    used = {n.name: n.mem_used for n in snapshot.nodes}
    decisions: list[Decision] = []
    for name in analysis.migrating:
        source = snapshot.node(name)
        running = [c for c in reversed(snapshot.on(name)) if c.running]
        if not running:
            reason = f"{name} at {_pct(source.usage)} but runs none of the group's containers"
            decisions.append(Decision("balancer", reason))
            continue
        ct = running[0]
        target = _target(snapshot, name, ct, used, t)
        if target is None:
            reason = f"{name} at {_pct(source.usage)}: no other node can take {ct.vmid}"
            decisions.append(Decision("balancer", reason))
            continue
        used[name] -= _footprint(ct)
        used[target.name] += _footprint(ct)
        reason = (
            f"{name} at {_pct(source.usage)} >= migration threshold "
            f"{_pct(t.migration_threshold)}: move {ct.vmid} to {target.name}"
        )
        decisions += [
            Decision("balancer", reason, Action("stop", ct.vmid, name)),
            Decision("balancer", reason, Action("migrate", ct.vmid, name, target.name)),
            Decision("balancer", reason, Action("start", ct.vmid, target.name)),
        ]
    return decisions


def _footprint(ct: ContainerState) -> int:
    return ct.mem if ct.mem > 0 else ct.maxmem


def _target(
    snapshot: Snapshot, source: str, ct: ContainerState, used: dict[str, int], t: AutonomicSettings
) -> NodeUsage | None:
    candidates = [
        n
        for n in snapshot.nodes
        if n.online
        and n.name != source
        and n.mem_total > 0
        and (used[n.name] + _footprint(ct)) / n.mem_total < t.migration_threshold
    ]
    return min(candidates, key=lambda n: used[n.name] / n.mem_total, default=None)


def offload(snapshot: Snapshot, t: AutonomicSettings) -> list[Decision]:
    """Offloader: a node at or above the dropping threshold stops its oldest containers.

    Lowest id first, as many as it takes to bring the node below the dropping threshold.
    """
    decisions: list[Decision] = []
    for name in analyse(snapshot, t).dropping:
        node = snapshot.node(name)
        used = node.mem_used
        running = [c for c in snapshot.on(name) if c.running]
        if not running:
            reason = f"{name} at {_pct(node.usage)} but runs none of the group's containers"
            decisions.append(Decision("offloader", reason))
            continue
        for ct in running:
            if used / node.mem_total < t.dropping_threshold:
                break
            reason = (
                f"{name} at {_pct(used / node.mem_total)} >= dropping threshold "
                f"{_pct(t.dropping_threshold)}: stop the oldest, {ct.vmid}"
            )
            decisions.append(Decision("offloader", reason, Action("stop", ct.vmid, name)))
            used -= _footprint(ct)
    return decisions


def cleanup(snapshot: Snapshot) -> list[Decision]:
    """Cleanup: stop (if running) and delete every container of the group, lowest id first."""
    decisions: list[Decision] = []
    for ct in sorted(snapshot.containers, key=lambda c: c.vmid):
        if ct.running:
            decisions.append(
                Decision("cleanup", "stop before delete", Action("stop", ct.vmid, ct.node))
            )
        decisions.append(Decision("cleanup", "delete", Action("delete", ct.vmid, ct.node)))
    if not decisions:
        decisions.append(Decision("cleanup", "the group has no container left"))
    return decisions


def plan(snapshot: Snapshot, s: ProxmoxSettings, t: AutonomicSettings) -> list[Decision]:
    """One round of the loop: offloader, then load balancer, then generator."""
    return offload(snapshot, t) + balance(snapshot, t) + generate(snapshot, s, t)
