"""The placement decision on recorded latency series: closest worker, no flapping."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.decide import Move, Policy, decide

POLICY = Policy(margin_ms=5.0, consecutive=3)


def series(*rounds: tuple[float, float]) -> list[dict[str, float]]:
    return [{"worker1": a, "worker2": b} for a, b in rounds]


def test_flapping_series_does_not_flap() -> None:
    # worker2 is clearly closer every other round: never 3 rounds in a row.
    flapping = series(*[(20.0, 5.0) if i % 2 else (20.0, 30.0) for i in range(20)])
    decision = decide("worker1", flapping, POLICY)
    assert decision.placement == "worker1"
    assert decision.moves == ()
    assert not decision.changed


def test_clear_improvement_moves_after_k_rounds() -> None:
    rounds = series((20, 21), (20, 8), (21, 7), (20, 9), (20, 9))
    assert decide("worker1", rounds[:3], POLICY).placement == "worker1"  # 2 rounds: not yet
    decision = decide("worker1", rounds[:4], POLICY)
    assert decision.placement == "worker2"
    assert decision.moves == (Move(3, "worker1", "worker2"),)
    assert decision.changed
    assert "worker1 -> worker2" in decision.reason


def test_ties_stay() -> None:
    assert decide("worker2", series(*[(10.0, 10.0)] * 10), POLICY).placement == "worker2"


def test_better_by_exactly_the_margin_stays() -> None:
    assert decide("worker1", series(*[(15.0, 10.0)] * 10), POLICY).placement == "worker1"
    assert decide("worker1", series(*[(15.1, 10.0)] * 10), POLICY).placement == "worker2"


def test_an_interrupted_streak_starts_again() -> None:
    rounds = series((20, 5), (20, 5), (20, 20), (20, 5), (20, 5))
    decision = decide("worker1", rounds, POLICY)
    assert decision.placement == "worker1"
    assert "worker2 is closer in the last 2" in decision.reason


def test_moving_back_needs_k_rounds_again() -> None:
    rounds = series(*[(20, 5)] * 3, (5, 20), (5, 20), (5, 20))
    decision = decide("worker1", rounds, POLICY)
    assert decision.moves == (Move(2, "worker1", "worker2"), Move(5, "worker2", "worker1"))
    assert decision.placement == "worker1"
    assert not decision.changed


def test_unreachable_current_worker_is_left_after_k_rounds() -> None:
    rounds = series(*[(math.inf, 40.0)] * 3)
    assert decide("worker1", rounds, POLICY).placement == "worker2"
    # Both unreachable: nothing to gain, stay.
    assert decide("worker1", series(*[(math.inf, math.inf)] * 5), POLICY).placement == "worker1"


def test_the_closest_of_several_is_chosen() -> None:
    rounds = [{"worker1": 30.0, "worker2": 12.0, "worker3": 4.0}] * 3
    assert decide("worker1", rounds, POLICY).placement == "worker3"


def test_recorded_lab_like_series() -> None:
    # The car drives from worker1's area to worker2's: noisy crossover, then a clear lead.
    recorded = series(
        (4.1, 19.8), (4.3, 18.9), (7.9, 12.2), (11.0, 10.1), (14.8, 9.7),
        (12.1, 13.0), (16.2, 8.4), (19.5, 6.1), (22.3, 4.2), (21.7, 4.0),
    )  # fmt: skip
    decision = decide("worker1", recorded, POLICY)
    assert decision.moves == (Move(8, "worker1", "worker2"),)


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        Policy(consecutive=0)
    with pytest.raises(ValueError):
        Policy(margin_ms=-1)


latency = st.floats(min_value=0.1, max_value=500, allow_nan=False)


@given(st.lists(st.tuples(latency, latency), max_size=30), st.integers(1, 5))
def test_never_moves_more_often_than_every_k_rounds(
    rounds: list[tuple[float, float]], k: int
) -> None:
    decision = decide("worker1", series(*rounds), Policy(margin_ms=1.0, consecutive=k))
    indices = [move.round_index for move in decision.moves]
    assert all(b - a >= k for a, b in zip([-1, *indices], indices, strict=False))


@given(st.lists(latency, max_size=30), st.integers(1, 5))
def test_equal_latencies_never_move(values: list[float], k: int) -> None:
    decision = decide("worker2", series(*[(v, v) for v in values]), Policy(0.0, k))
    assert decision.placement == "worker2"
