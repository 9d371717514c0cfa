"""The knowledge of the loop: what the monitor saw and what the planner decided."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

Kind = Literal["create", "start", "stop", "migrate", "delete"]


@dataclass(frozen=True)
class NodeUsage:
    """Memory of one node, in bytes."""

    name: str
    mem_used: int
    mem_total: int
    online: bool = True

    @property
    def usage(self) -> float:
        """Fraction of the node's memory in use (1.0 for a node reporting no memory)."""
        return self.mem_used / self.mem_total if self.mem_total > 0 else 1.0


@dataclass(frozen=True)
class ContainerState:
    """One of the group's containers as Proxmox reports it."""

    vmid: int
    node: str
    status: str
    """``running`` or ``stopped``."""
    mem: int = 0
    """Memory in use now, bytes (0 when stopped)."""
    maxmem: int = 0
    """Memory limit, bytes."""

    @property
    def running(self) -> bool:
        """Whether the container runs."""
        return self.status == "running"


@dataclass(frozen=True)
class Snapshot:
    """Everything one monitoring pass saw: the nodes in config order, the group's containers."""

    nodes: tuple[NodeUsage, ...]
    containers: tuple[ContainerState, ...] = ()
    taken_at: float = 0.0

    def node(self, name: str) -> NodeUsage:
        """The usage of node ``name``."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def on(self, node: str) -> list[ContainerState]:
        """The group's containers on ``node``, lowest id first."""
        return sorted((c for c in self.containers if c.node == node), key=lambda c: c.vmid)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record of the snapshot (what the decision log keeps)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Snapshot:
        """Rebuild a recorded snapshot."""
        return cls(
            nodes=tuple(NodeUsage(**n) for n in raw["nodes"]),
            containers=tuple(ContainerState(**c) for c in raw.get("containers", ())),
            taken_at=float(raw.get("taken_at", 0.0)),
        )


@dataclass(frozen=True)
class Action:
    """One operation on one container."""

    kind: Kind
    vmid: int
    node: str
    """The node the container is on (or will be created on)."""
    target: str | None = None
    """Destination of a migration."""

    def __str__(self) -> str:
        where = f"{self.node} -> {self.target}" if self.target else self.node
        return f"{self.kind} {self.vmid} on {where}"


@dataclass(frozen=True)
class Decision:
    """What a policy decided and why; ``action`` is ``None`` when it decided to do nothing."""

    policy: str
    reason: str
    action: Action | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields of the decision's log line."""
        out: dict[str, Any] = {"policy": self.policy, "reason": self.reason}
        if self.action is None:
            out["action"] = "none"
        else:
            out.update(asdict(self.action))
            out["action"] = out.pop("kind")
        return out


def actions_of(decisions: list[Decision] | tuple[Decision, ...]) -> list[Action]:
    """The actions of a plan, in order, without the decisions to do nothing."""
    return [d.action for d in decisions if d.action is not None]
