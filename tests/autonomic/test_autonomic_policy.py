"""Analyse and plan as pure functions over recorded usage snapshots: each policy, each edge.

Nodes here have 1000 bytes of memory so that usage reads as per mille; containers use 10.
Thresholds: creation limit 16%, migration 30%, dropping 40%.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autonomic import policy
from autonomic.model import Action, ContainerState, NodeUsage, Snapshot, actions_of
from autonomic.settings import AutonomicSettings
from components.proxmox.settings import parse_proxmox_settings

T = AutonomicSettings(creation_limit=0.16, migration_threshold=0.30, dropping_threshold=0.40)
S = parse_proxmox_settings({"group": "g07", "baseId": 42})
PX1, PX2 = "srv-px1", "srv-px2"
RECORDED = Path(__file__).with_name("snapshots.json")


def ct(vmid: int, node: str, running: bool = True, mem: int = 10) -> ContainerState:
    return ContainerState(
        vmid, node, "running" if running else "stopped", mem if running else 0, mem
    )


def snap(px1: int, px2: int, *cts: ContainerState, total: int = 1000) -> Snapshot:
    return Snapshot((NodeUsage(PX1, px1, total), NodeUsage(PX2, px2, total)), tuple(cts))


def kinds(decisions: list) -> list[tuple[str, int, str, str | None]]:
    return [(a.kind, a.vmid, a.node, a.target) for a in actions_of(decisions)]


# --- analyse ------------------------------------------------------------------------------


def test_analyse_sorts_nodes_into_bands() -> None:
    a = policy.analyse(snap(400, 299), T)
    assert a.dropping == (PX1,)
    assert a.migrating == ()
    assert a.cluster_usage == pytest.approx(0.3495)
    assert policy.analyse(snap(300, 100), T).migrating == (PX1,)
    assert not policy.analyse(snap(299, 100), T).hot


def test_an_offline_node_counts_for_nothing() -> None:
    s = Snapshot((NodeUsage(PX1, 100, 1000), NodeUsage(PX2, 0, 0, online=False)))
    a = policy.analyse(s, T)
    assert a.cluster_usage == pytest.approx(0.1)
    assert not a.hot


# --- generator ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("used", "creates"),
    [(159, True), (160, False), (161, False)],
    ids=["just-below", "at", "above"],
)
def test_generator_creates_only_strictly_below_the_creation_limit(used: int, creates: bool) -> None:
    decisions = policy.generate(snap(used, used), S, T)
    if creates:
        assert kinds(decisions) == [("create", 4201, PX1, None), ("start", 4201, PX1, None)]
    else:
        assert kinds(decisions) == []
        assert "creation limit" in decisions[0].reason


def test_generator_takes_the_lowest_free_number() -> None:
    s = snap(10, 10, ct(4201, PX1), ct(4203, PX2), ct(4301, PX1))
    created = actions_of(policy.generate(s, S, T))[0]
    assert created.vmid == 4202


def test_generator_follows_the_two_to_one_split() -> None:
    # 2 on px1, 1 on px2: the next goes to px1, then px1 again, then px2.
    s = snap(10, 10, ct(4201, PX1), ct(4202, PX1), ct(4203, PX2))
    assert actions_of(policy.generate(s, S, T))[0].node == PX1
    s = snap(10, 10, ct(4201, PX1), ct(4202, PX1), ct(4203, PX2), ct(4204, PX1), ct(4205, PX1))
    assert actions_of(policy.generate(s, S, T))[0].node == PX2


def test_stopped_containers_count_for_the_split() -> None:
    s = snap(10, 10, ct(4201, PX1, running=False), ct(4202, PX1, running=False))
    assert actions_of(policy.generate(s, S, T))[0].node == PX2


@pytest.mark.parametrize("used", [299, 300])
def test_generator_pauses_while_a_node_is_hot(used: int) -> None:
    decisions = policy.generate(snap(used, 0, total=1000), S, T)
    # Cluster is at most 15%, under the limit: only the hot node can hold the generator.
    if used >= 300:
        assert kinds(decisions) == []
        assert "paused" in decisions[0].reason
    else:
        assert kinds(decisions)[0][0] == "create"


def test_generator_stops_when_every_number_is_taken() -> None:
    cts = [ct(4200 + n, PX1, running=False) for n in range(1, 100)]
    decisions = policy.generate(snap(0, 0, *cts), S, T)
    assert kinds(decisions) == []
    assert "99" in decisions[0].reason


def test_generator_skips_an_offline_node() -> None:
    s = Snapshot((NodeUsage(PX1, 0, 0, online=False), NodeUsage(PX2, 10, 1000)))
    assert actions_of(policy.generate(s, S, T))[0].node == PX2


@given(st.integers(min_value=0, max_value=300))
def test_split_is_two_to_one_after_any_number_of_containers(n: int) -> None:
    counts = {PX1: 0, PX2: 0}
    for _ in range(n):
        counts[policy.next_node(counts, [PX1, PX2])] += 1
    assert counts[PX1] == math.ceil(2 * n / 3)
    assert counts[PX2] == n - counts[PX1]


def test_next_node_needs_a_node() -> None:
    with pytest.raises(ValueError, match="no node"):
        policy.next_node({}, [])


# --- load balancer ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("used", "moves"), [(299, False), (300, True), (301, True)], ids=["below", "at", "above"]
)
def test_balancer_acts_at_the_migration_threshold(used: int, moves: bool) -> None:
    s = snap(used, 100, ct(4201, PX1), ct(4202, PX1))
    expected = [
        ("stop", 4202, PX1, None),
        ("migrate", 4202, PX1, PX2),
        ("start", 4202, PX2, None),
    ]
    assert kinds(policy.balance(s, T)) == (expected if moves else [])


def test_balancer_moves_the_newest_running_container() -> None:
    s = snap(350, 100, ct(4201, PX1), ct(4204, PX1), ct(4207, PX1, running=False))
    assert actions_of(policy.balance(s, T))[0].vmid == 4204


def test_balancer_needs_a_target_that_stays_below_the_threshold() -> None:
    # px2 at 29.0% would reach 30.0% with the container: no target.
    s = snap(350, 290, ct(4201, PX1))
    decisions = policy.balance(s, T)
    assert kinds(decisions) == []
    assert "no other node" in decisions[0].reason
    # At 28.9% it would reach 29.9%: fine.
    assert kinds(policy.balance(snap(350, 289, ct(4201, PX1)), T))[1][3] == PX2


def test_balancer_reports_a_hot_node_without_our_containers() -> None:
    decisions = policy.balance(snap(350, 0, ct(4201, PX2)), T)
    assert kinds(decisions) == []
    assert "none of the group's containers" in decisions[0].reason


def test_balancer_leaves_dropping_nodes_to_the_offloader() -> None:
    assert kinds(policy.balance(snap(400, 0, ct(4201, PX1)), T)) == []


# --- offloader ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("used", "stops"), [(399, False), (400, True), (401, True)], ids=["below", "at", "above"]
)
def test_offloader_acts_at_the_dropping_threshold(used: int, stops: bool) -> None:
    s = snap(used, 0, ct(4201, PX1), ct(4202, PX1))
    assert kinds(policy.offload(s, T)) == ([("stop", 4201, PX1, None)] if stops else [])


def test_offloader_stops_oldest_first_until_below_the_threshold() -> None:
    cts = [ct(4205, PX1), ct(4202, PX1), ct(4203, PX1, running=False), ct(4201, PX2)]
    cts += [ct(4207, PX1), ct(4209, PX1)]
    # 425 -> 415 -> 405 -> 395: three stops, lowest running ids of px1 first.
    decisions = policy.offload(snap(425, 0, *cts), T)
    assert [a.vmid for a in actions_of(decisions)] == [4202, 4205, 4207]
    assert all(a.kind == "stop" and a.node == PX1 for a in actions_of(decisions))


def test_offloader_reports_when_it_has_nothing_to_stop() -> None:
    decisions = policy.offload(snap(500, 0, ct(4201, PX1, running=False)), T)
    assert kinds(decisions) == []
    assert "none of the group's containers" in decisions[0].reason


# --- cleanup and the whole round ----------------------------------------------------------


def test_cleanup_stops_running_containers_then_deletes_all() -> None:
    s = snap(0, 0, ct(4203, PX2), ct(4201, PX1, running=False), ct(4202, PX1))
    assert kinds(policy.cleanup(s)) == [
        ("delete", 4201, PX1, None),
        ("stop", 4202, PX1, None),
        ("delete", 4202, PX1, None),
        ("stop", 4203, PX2, None),
        ("delete", 4203, PX2, None),
    ]


def test_cleanup_of_nothing_decides_nothing() -> None:
    decisions = policy.cleanup(snap(0, 0))
    assert actions_of(decisions) == []
    assert decisions[0].reason == "the group has no container left"


def test_a_round_offloads_and_balances_but_does_not_generate() -> None:
    s = snap(450, 320, ct(4201, PX1), ct(4202, PX2), ct(4203, PX2))
    decisions = policy.plan(s, S, T)
    assert [d.policy for d in decisions] == ["offloader", "balancer", "generator"]
    assert kinds(decisions) == [("stop", 4201, PX1, None)]  # px1 is no target for px2
    assert "paused" in decisions[-1].reason


def test_a_quiet_round_only_generates() -> None:
    decisions = policy.plan(snap(100, 50), S, T)
    assert {d.policy for d in decisions} == {"generator"}
    assert kinds(decisions)[0] == ("create", 4201, PX1, None)


def test_recorded_snapshots_replay_to_the_recorded_plans() -> None:
    """Snapshots recorded from the decision log of a run against the fake API."""
    recorded = json.loads(RECORDED.read_text())
    assert len(recorded) >= 3
    for case in recorded:
        snapshot = Snapshot.from_dict(case["snapshot"])
        got = [str(a) for a in actions_of(policy.plan(snapshot, S, T))]
        assert got == case["plan"], case["name"]


def test_snapshot_round_trips_through_json() -> None:
    s = snap(1, 2, ct(4201, PX1), ct(4202, PX2, running=False))
    assert Snapshot.from_dict(json.loads(json.dumps(s.to_dict()))) == s


def test_actions_read_well() -> None:
    assert str(Action("migrate", 4201, PX1, PX2)) == "migrate 4201 on srv-px1 -> srv-px2"


def test_a_node_reporting_no_memory_is_neither_offloaded_nor_balanced() -> None:
    s = Snapshot((NodeUsage(PX1, 0, 0), NodeUsage(PX2, 10, 1000)), (ct(4201, PX1),))
    assert [d.action for d in policy.offload(s, T) + policy.balance(s, T) if d.action] == []
