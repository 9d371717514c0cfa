"""Measure the latency to the app on each worker: a bounded number of timed HTTP requests."""

from __future__ import annotations

import math
import statistics
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence

Clock = Callable[[], float]


def time_request(url: str, timeout: float, clock: Clock = time.perf_counter) -> float | None:
    """Milliseconds one GET of ``url`` took to answer 2xx in full; ``None`` on failure/timeout."""
    start = clock()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            if not 200 <= response.status < 300:
                return None
    except (OSError, urllib.error.URLError, ValueError):
        return None
    return (clock() - start) * 1000.0


def summarise(samples: Sequence[float | None]) -> float:
    """Latency of one round: the median of the successful samples.

    A worker that failed half of its requests or more counts as unreachable (``inf``), so a
    dead worker never looks close.
    """
    ok = [s for s in samples if s is not None]
    if len(ok) * 2 <= len(samples):
        return math.inf
    return float(statistics.median(ok))


def measure_round(
    targets: Mapping[str, str],
    *,
    requests: int = 5,
    timeout: float = 2.0,
    request: Callable[[str, float], float | None] = time_request,
) -> dict[str, float]:
    """One round: ``requests`` timed GETs per worker, summarised to one latency (ms) each."""
    if requests < 1:
        raise ValueError("requests must be at least 1")
    return {
        worker: summarise([request(url, timeout) for _ in range(requests)])
        for worker, url in targets.items()
    }


def measure_rounds(
    targets: Mapping[str, str],
    *,
    rounds: int,
    interval: float,
    requests: int = 5,
    timeout: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    request: Callable[[str, float], float | None] = time_request,
) -> list[dict[str, float]]:
    """``rounds`` rounds, ``interval`` seconds apart: the series :func:`edge.decide` reads."""
    series = []
    for index in range(rounds):
        if index:
            sleep(interval)
        series.append(measure_round(targets, requests=requests, timeout=timeout, request=request))
    return series
