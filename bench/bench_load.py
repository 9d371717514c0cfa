"""Load on the twin: N requests from C concurrent clients through the calculator's public port
only, every answer checked, side by side with the same load on one operand service directly.

    venv/bin/python -m bench.bench_load                   # the twin of `make up` (50005)
    venv/bin/python -m bench.bench_load --url http://127.0.0.1:50105 --requests 400

The baseline is a throwaway ``sum`` service (``python -m services sum``) on 127.0.0.1 and a
free port, started and stopped here: nothing new is published. Every calculator request is one
of a set of varied expressions with known results (each calls 3 operand services), so the
overhead ratio compares one calculator answer with one operand answer.
Exit status 1 if any request failed or any answer was wrong.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit

from bench.report import fragment
from cloudlab_tools.load import OperandService, Result, expressions, operand_bodies, run_load


def report(calculator: Result, operand: Result) -> str:
    rows = [
        ("", "calculator (twin)", "sum service (direct)"),
        ("requests", str(calculator.requests), str(operand.requests)),
        ("concurrency", str(calculator.concurrency), str(operand.concurrency)),
        ("errors", str(len(calculator.errors)), str(len(operand.errors))),
        ("wrong answers", str(len(calculator.wrong)), str(len(operand.wrong))),
        ("throughput req/s", f"{calculator.throughput:.1f}", f"{operand.throughput:.1f}"),
    ]
    for q in (50, 95, 99):
        rows.append(
            (f"latency p{q} ms", f"{calculator.percentile(q):.2f}", f"{operand.percentile(q):.2f}")
        )
    lines = [f"{a:<18}{b:>20}{c:>22}" for a, b, c in rows]
    mean_calc = statistics.fmean(calculator.latencies) if calculator.latencies else float("nan")
    mean_op = statistics.fmean(operand.latencies) if operand.latencies else float("nan")
    lines.append(
        f"overhead: throughput x{operand.throughput / calculator.throughput:.2f} lower, "
        f"p50 latency x{calculator.percentile(50) / operand.percentile(50):.2f}, "
        f"mean latency x{mean_calc / mean_op:.2f} "
        "(one calculator answer = parse + 3 operand calls through the router)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", default="http://127.0.0.1:50005", help="the calculator")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    if urlsplit(args.url).hostname != "127.0.0.1":
        parser.error("load goes through 127.0.0.1 only")
    calculator = run_load(args.url, expressions(args.requests), args.concurrency)
    with OperandService("sum") as operand_service:
        operand = run_load(operand_service.url, operand_bodies(args.requests), args.concurrency)
    print(report(calculator, operand))
    for problem in (calculator.errors + calculator.wrong + operand.errors + operand.wrong)[:10]:
        print("  !", problem)
    return 0 if calculator.ok and operand.ok else 1


if __name__ == "__main__":
    with fragment("load", "2,000 requests through the twin against one operand service"):
        sys.exit(main())
