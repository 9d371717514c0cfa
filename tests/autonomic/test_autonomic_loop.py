"""The whole loop, end to end, against the fake Proxmox API on 127.0.0.1.

Two nodes of 16 GiB, each with 1 GiB in use by others; containers of 512 MiB; thresholds of
the lab: create below 16% of the cluster, migrate at 30% of a node, drop at 40%.
"""

from __future__ import annotations

import io
import math
import threading
from typing import Any

import pytest

from autonomic.execute import ApiExecutor, ExecutionError
from autonomic.loop import Manager
from autonomic.monitor import monitor
from autonomic.settings import AutonomicSettings
from components.proxmox.settings import ProxmoxSettings
from tests.autonomic.fake_pve import FakeProxmox, Fault, GiB, MiB

PX1, PX2 = "srv-px1", "srv-px2"


@pytest.fixture
def manager(api: Any, settings: ProxmoxSettings, timing: AutonomicSettings, log: Any) -> Manager:
    return Manager(
        observe=lambda: monitor(api, settings),
        executor=ApiExecutor(api, settings, timing, log),
        settings=settings,
        thresholds=timing,
        log=log,
        out=io.StringIO(),
    )


def cluster_usage(fake: FakeProxmox) -> float:
    return sum(fake.used(n) for n in fake.nodes) / sum(n.mem_total for n in fake.nodes.values())


def fill(fake: FakeProxmox, manager: Manager) -> None:
    rounds = manager.run(iterations=12)
    assert rounds == 12


def test_generator_fills_up_to_the_limit_with_a_two_to_one_split(
    fake: FakeProxmox, manager: Manager, log: Any
) -> None:
    fill(fake, manager)
    n = len(fake.cts)
    # 2 GiB + n * 0.5 GiB over 32 GiB: 7 containers reach 17.2%; 6 were 15.6%, under 16%.
    assert n == 7
    assert cluster_usage(fake) >= 0.16
    assert cluster_usage(fake) - 512 * MiB / (32 * GiB) < 0.16
    assert len(fake.on(PX1)) == math.ceil(2 * n / 3) == 5
    assert fake.on(PX1) == [4201, 4202, 4204, 4205, 4207]
    assert fake.on(PX2) == [4203, 4206]
    assert fake.running() == sorted(fake.cts)
    assert fake.cts[4207].hostname == "ct-tpgei-virt-g07-ct07"
    # Once full, the generator keeps deciding, and logging, that it does nothing.
    holds = [r for r in log.of("decision") if r["action"] == "none"]
    assert len(holds) == 12 - 7
    assert all("creation limit" in r["reason"] for r in holds)
    assert len(log.of("snapshot")) == 12


def test_a_load_spike_migrates_then_a_bigger_one_offloads_oldest_first(
    fake: FakeProxmox, manager: Manager, log: Any
) -> None:
    fill(fake, manager)
    # px1: 1 GiB + 5 containers = 3.5 GiB (21.9%). Others take 2.5 GiB more: 37.5%.
    fake.nodes[PX1].base_used = 3.5 * GiB
    assert 0.30 <= fake.usage(PX1) < 0.40
    manager.run(iterations=4)
    # Newest first, one per round, until px1 is under 30%: 6.0 -> 5.5 -> 5.0 -> 4.5 GiB.
    assert fake.on(PX2) == [4203, 4204, 4205, 4206, 4207]
    assert fake.on(PX1) == [4201, 4202]
    assert fake.usage(PX1) < 0.30
    assert fake.running() == sorted(fake.cts)
    moves = [(op, vmid) for op, vmid, _ in fake.submitted if op != "create"][7:]
    assert moves == [
        (op, vmid) for vmid in (4207, 4205, 4204) for op in ("stop", "migrate", "start")
    ]
    # A bigger spike on px2: 5 GiB + 5 containers = 46.9%, above 40%.
    fake.nodes[PX2].base_used = 5 * GiB
    assert fake.usage(PX2) >= 0.40
    manager.run(iterations=1)
    # Oldest first, until below 40%: 7.5 -> 7.0 -> 6.5 -> 6.0 GiB (37.5%).
    assert [v for v in fake.cts if fake.cts[v].status == "stopped"] == [4203, 4204, 4205]
    assert fake.usage(PX2) < 0.40
    offloads = [r["vmid"] for r in log.of("decision") if r["policy"] == "offloader"]
    assert offloads == [4203, 4204, 4205]
    # Next round px2 is in the migration band but px1 can't take a container (it would
    # reach 31.25%): the balancer says so, nothing moves, the generator stays paused.
    before = len(fake.submitted)
    decisions = manager.round()
    assert len(fake.submitted) == before
    reasons = [d.reason for d in decisions]
    assert any("no other node can take 4207" in r for r in reasons)
    assert any(r.startswith("paused") for r in reasons)


def test_cleanup_leaves_no_container(fake: FakeProxmox, manager: Manager, log: Any) -> None:
    fill(fake, manager)
    fake.add_ct(4301, PX1)  # another group's container is not ours to delete
    manager.cleanup()
    assert list(fake.cts) == [4301]
    assert log.of("cleanup-done")[-1]["left"] == []
    manager.cleanup()  # cleaning an empty group is fine
    assert list(fake.cts) == [4301]


def test_cleanup_with_a_node_offline_does_not_claim_success(
    fake: FakeProxmox, manager: Manager, log: Any
) -> None:
    fill(fake, manager)
    fake.nodes[PX2].online = False
    with pytest.raises(RuntimeError, match=f"cannot see {PX2}"):
        manager.cleanup()
    assert log.of("cleanup-done")[-1]["offline"] == [PX2]
    assert any(ct.node == PX2 for ct in fake.cts.values())


def test_a_dry_run_prints_the_plan_and_changes_nothing(
    fake: FakeProxmox, manager: Manager, log: Any
) -> None:
    fake.add_ct(4201, PX1)
    manager.run(iterations=2, dry_run=True)
    manager.cleanup(dry_run=True)
    assert fake.submitted == []
    printed = manager.out.getvalue().splitlines()  # type: ignore[union-attr]
    assert printed[0].split()[:5] == ["generator", "create", "4202", "on", "srv-px1"]
    assert printed[-1].split()[:5] == ["cleanup", "delete", "4201", "on", "srv-px1"]
    assert all(r["dry_run"] for r in log.of("decision"))


def test_a_failure_ends_the_loop_and_is_logged(
    fake: FakeProxmox, manager: Manager, log: Any
) -> None:
    fake.inject("create", Fault("task", "storage 'local-lvm' is full"), times=3)
    with pytest.raises(ExecutionError, match="storage 'local-lvm' is full"):
        manager.run(iterations=5)
    assert len(log.of("snapshot")) == 1
    assert len(log.of("retry")) == 2
    assert log.of("failed")[0]["action"] == "create"
    assert fake.cts == {}


def test_the_loop_waits_between_rounds_and_stops_when_asked(
    fake: FakeProxmox, manager: Manager
) -> None:
    manager.thresholds = AutonomicSettings(interval=30)
    rounds: list[int] = []
    runner = threading.Thread(target=lambda: rounds.append(manager.run(dry_run=True)))
    runner.start()
    runner.join(timeout=1.0)
    assert runner.is_alive()  # waiting 30 s on its stop event, not spinning
    manager.stop.set()
    runner.join(timeout=5)
    assert rounds == [1]
