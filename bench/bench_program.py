"""Program evaluation under Pulumi mocks: 4 versus 100 operand VMs, and graph depth.

Run: ``make bench-program`` (or ``venv/bin/python -m bench.bench_program`` from the repository
root). It measures the program under the same mocks as the tests (tests/harness.py).
Both sizes are measured in the same run, alternating, and the ratio is printed: absolute
seconds depend on the machine, the ratio and the depth do not.
"""

from __future__ import annotations

import argparse
import statistics
import time

import pulumi

import stacks
from bench.report import fragment
from tests.harness import Recording, run_program


def evaluate(replicas: int) -> tuple[float, Recording]:
    """Seconds to run the OpenStack program with ``replicas`` VMs per operand service."""
    config = {"cloudlab:environment": "openstack", "cloudlab:calculator": {"replicas": replicas}}
    start = time.perf_counter()
    recording = run_program(lambda: stacks.dispatch("openstack", pulumi.Config("cloudlab")), config)
    return time.perf_counter() - start, recording


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="measurements per size")
    args = parser.parse_args()

    sizes = {4: 1, 100: 25}  # operand VMs -> replicas per operand service
    evaluate(1)  # warm-up: imports, first gRPC channel
    times: dict[int, list[float]] = {vms: [] for vms in sizes}
    recordings: dict[int, Recording] = {}
    for _ in range(args.rounds):
        for vms, replicas in sizes.items():
            seconds, recordings[vms] = evaluate(replicas)
            times[vms].append(seconds)

    print(f"{'operand VMs':>12} {'resources':>10} {'median s':>9} {'min s':>7} {'depth':>6}")
    for vms in sizes:
        rec = recordings[vms]
        print(
            f"{vms:>12} {sum(r.custom for r in rec.resources):>10} "
            f"{statistics.median(times[vms]):>9.3f} {min(times[vms]):>7.3f} "
            f"{rec.dependency_depth():>6}"
        )
    ratio = statistics.median(times[100]) / statistics.median(times[4])
    counts = {vms: sum(r.custom for r in rec.resources) for vms, rec in recordings.items()}
    print(f"time ratio 100/4 VMs: {ratio:.2f} (resource ratio {counts[100] / counts[4]:.2f})")
    depths = {vms: rec.dependency_depth() for vms, rec in recordings.items()}
    print(
        f"dependency depth 4 VMs: {depths[4]}, 100 VMs: {depths[100]} "
        f"({'constant' if depths[4] == depths[100] else 'GROWS'})"
    )


if __name__ == "__main__":
    with fragment("program", "Program evaluation under mocks: 4 against 100 operand VMs"):
        main()
