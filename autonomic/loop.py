"""The MAPE-K loop: monitor, analyse and plan, execute; then wait, never spin."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from autonomic import policy
from autonomic.execute import Executor
from autonomic.log import DecisionLog
from autonomic.model import Decision, Snapshot
from autonomic.settings import AutonomicSettings
from components.proxmox.settings import ProxmoxSettings

Planner = Callable[[Snapshot], list[Decision]]


class MonitorError(RuntimeError):
    """The monitor could not read the cluster this round."""


@dataclass
class Manager:
    """One group's manager. ``observe`` is the monitor, ``executor`` acts on the plan."""

    observe: Callable[[], Snapshot]
    executor: Executor
    settings: ProxmoxSettings
    thresholds: AutonomicSettings
    log: DecisionLog
    out: TextIO | None = None
    """Where ``--dry-run`` prints the plan (``None``: nowhere)."""
    stop: threading.Event = field(default_factory=threading.Event)
    """Set it to end :meth:`run` at the next pause (the pause wakes up at once)."""

    def autonomic_plan(self, snapshot: Snapshot) -> list[Decision]:
        """The policies of the running loop."""
        return policy.plan(snapshot, self.settings, self.thresholds)

    def round(self, planner: Planner | None = None, *, dry_run: bool = False) -> list[Decision]:
        """Monitor once, plan, log every decision, execute unless ``dry_run``. A failed
        monitor read raises :class:`MonitorError` (logged as ``monitor-failed``)."""
        try:
            snapshot = self.observe()
        except Exception as error:
            self.log.event("monitor-failed", error=str(error), kind=type(error).__name__)
            raise MonitorError(str(error)) from error
        analysis = policy.analyse(snapshot, self.thresholds)
        self.log.event(
            "snapshot",
            cluster_usage=round(analysis.cluster_usage, 4),
            nodes={n.name: round(n.usage, 4) for n in snapshot.nodes},
            containers=len(snapshot.containers),
            snapshot=snapshot.to_dict(),
        )
        decisions = (planner or self.autonomic_plan)(snapshot)
        for d in decisions:
            self.log.event("decision", **d.to_dict(), dry_run=dry_run)
        if dry_run:
            if self.out is not None:
                for d in decisions:
                    what = str(d.action) if d.action else "nothing"
                    self.out.write(f"{d.policy:10} {what:40} # {d.reason}\n")
                self.out.flush()
        else:
            self.executor.execute(decisions)
        return decisions

    def run(self, *, iterations: int | None = None, dry_run: bool = False) -> int:
        """Rounds until ``iterations`` are done or :attr:`stop` is set; returns rounds run.

        Between rounds it waits ``interval`` seconds on :attr:`stop`. A failed monitor read
        (the API unreachable for a moment, a node rebooting) is logged and the round skipped:
        the next one reads again; nothing is planned on a blind spot. An
        :class:`~autonomic.execute.ExecutionError` (already logged) ends the loop: an action
        that keeps failing needs a person.
        """
        rounds = 0
        while not self.stop.is_set():
            with contextlib.suppress(MonitorError):  # logged by round(); read again later
                self.round(dry_run=dry_run)
            rounds += 1
            if iterations is not None and rounds >= iterations:
                break
            self.stop.wait(self.thresholds.interval)
        return rounds

    def cleanup(self, *, dry_run: bool = False) -> list[Decision]:
        """Stop and delete every container of the group; check that none is left."""
        decisions = self.round(policy.cleanup, dry_run=dry_run)
        if not dry_run:
            after = self.observe()
            left = after.containers
            blind = [n.name for n in after.nodes if not n.online]
            self.log.event("cleanup-done", left=[c.vmid for c in left], offline=blind)
            if left:
                raise RuntimeError(f"cleanup left {len(left)} containers: {[c.vmid for c in left]}")
            if blind:
                raise RuntimeError(
                    f"cleanup cannot see {', '.join(blind)} (offline): the group's containers "
                    "there are left; run cleanup again once the node is back"
                )
        return decisions
