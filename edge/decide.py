"""Where the app should run: the closest worker, with hysteresis so that it does not flap.

Pure functions over a latency series (one ``{worker: milliseconds}`` mapping per round,
``inf`` for unreachable). The app moves from ``current`` to another worker only when that
worker beat the current one by more than ``margin_ms`` in ``consecutive`` rounds in a row;
equal latencies never move it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Policy:
    """Hysteresis of the decision."""

    margin_ms: float = 5.0
    """How much better (milliseconds) a worker must be to count as closer."""
    consecutive: int = 3
    """Rounds in a row a worker must be closer before the app moves."""

    def __post_init__(self) -> None:
        if self.margin_ms < 0 or math.isnan(self.margin_ms):
            raise ValueError("margin_ms must be >= 0")
        if self.consecutive < 1:
            raise ValueError("consecutive must be >= 1")


@dataclass(frozen=True)
class Move:
    """One switch of placement, after round ``round_index`` (0-based)."""

    round_index: int
    source: str
    target: str


@dataclass(frozen=True)
class Decision:
    """Where the app should run after the series, and why."""

    current: str
    placement: str
    moves: tuple[Move, ...] = field(default_factory=tuple)
    reason: str = ""

    @property
    def changed(self) -> bool:
        """Whether applying the decision changes the placement."""
        return self.placement != self.current


def _challenger(latencies: Mapping[str, float], placement: str) -> tuple[str, float] | None:
    """The closest other worker (ties broken by name, so the result is deterministic)."""
    others = sorted((lat, name) for name, lat in latencies.items() if name != placement)
    return (others[0][1], others[0][0]) if others else None


def decide(
    current: str, series: Sequence[Mapping[str, float]], policy: Policy | None = None
) -> Decision:
    """Replay ``series`` from ``current`` and return the placement hysteresis leads to."""
    policy = policy or Policy()
    placement, streak_worker, streak = current, None, 0
    moves: list[Move] = []
    for index, latencies in enumerate(series):
        own = latencies.get(placement, math.inf)
        challenger = _challenger(latencies, placement)
        if challenger is None or not challenger[1] + policy.margin_ms < own:
            streak_worker, streak = None, 0
            continue
        if challenger[0] == streak_worker:
            streak += 1
        else:
            streak_worker, streak = challenger[0], 1
        if streak >= policy.consecutive:
            moves.append(Move(index, placement, challenger[0]))
            placement, streak_worker, streak = challenger[0], None, 0
    if placement == current:
        reason = f"stay on {current}: no worker was closer by more than {policy.margin_ms:g} ms"
        reason += f" in {policy.consecutive} consecutive rounds"
        if streak:
            reason += f" ({streak_worker} is closer in the last {streak})"
    else:
        reason = f"move {current} -> {placement}: closer by more than {policy.margin_ms:g} ms"
        reason += f" in {policy.consecutive} consecutive rounds"
    return Decision(current=current, placement=placement, moves=tuple(moves), reason=reason)
