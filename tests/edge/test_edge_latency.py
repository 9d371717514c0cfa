"""Measuring the latency to the app's NodePort: timed, bounded, against real sockets."""

from __future__ import annotations

import math
import time

from edge.latency import measure_round, measure_rounds, summarise, time_request


def test_a_slower_worker_measures_slower(fake_workers) -> None:
    near, far = fake_workers(delay=0.0), fake_workers(delay=0.08)
    latencies = measure_round({"worker1": far.url, "worker2": near.url}, requests=3, timeout=2)
    assert latencies["worker1"] >= 80
    assert latencies["worker2"] < latencies["worker1"] - 40
    assert (near.hits, far.hits) == (3, 3)


def test_requests_are_bounded_in_number_and_time(fake_workers) -> None:
    stuck = fake_workers(delay=1.0)
    start = time.perf_counter()
    latencies = measure_round({"worker1": stuck.url}, requests=2, timeout=0.2)
    elapsed = time.perf_counter() - start
    assert latencies == {"worker1": math.inf}
    assert stuck.hits <= 2
    assert elapsed < 1.5


def test_an_error_status_counts_as_a_failure(fake_workers) -> None:
    broken = fake_workers(status=500)
    assert time_request(broken.url, timeout=1) is None
    assert measure_round({"worker1": broken.url}, requests=2, timeout=1) == {"worker1": math.inf}


def test_a_closed_port_counts_as_a_failure() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert time_request(f"http://127.0.0.1:{port}/", timeout=0.5) is None


def test_summary_is_the_median_of_a_majority_of_successes() -> None:
    assert summarise([10.0, 30.0, 20.0]) == 20.0
    assert summarise([10.0, None, 30.0]) == 20.0
    assert summarise([10.0, None]) == math.inf
    assert summarise([None, None, 5.0]) == math.inf
    assert summarise([]) == math.inf


def test_rounds_sleep_between_them_only() -> None:
    sleeps: list[float] = []
    calls: list[str] = []

    def request(url: str, timeout: float) -> float:
        calls.append(url)
        return 7.0

    rounds = measure_rounds(
        {"worker1": "u1", "worker2": "u2"},
        rounds=3,
        interval=1.5,
        requests=2,
        sleep=sleeps.append,
        request=request,
    )
    assert rounds == [{"worker1": 7.0, "worker2": 7.0}] * 3
    assert sleeps == [1.5, 1.5]
    assert len(calls) == 12
