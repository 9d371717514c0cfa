"""Load on the twin: N requests from C concurrent clients through the calculator's public port
only, every answer checked, side by side with the same load on one operand service directly.

    venv/bin/python bench/bench_load.py                   # the twin of `make up` (50005)
    venv/bin/python bench/bench_load.py --url http://127.0.0.1:50105 --requests 400

The baseline is a throwaway ``sum`` service (``python -m services sum``) on 127.0.0.1 and a
free port, started and stopped here: nothing new is published. Every calculator request is one
of a set of varied expressions with known results (each calls 3 operand services), so the
overhead ratio compares one calculator answer with one operand answer.
Exit status 1 if any request failed or any answer was wrong.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]


def expressions(count: int) -> list[tuple[str, str]]:
    """``count`` varied (expression, exact reply) pairs using +, -, * and / (3 calls each)."""
    cases = []
    for i in range(count):
        a, b, c, d = i % 97, (i * 7) % 89 + 1, (i * 13) % 23 + 1, i % 11
        kind = i % 4
        if kind == 0:
            cases.append((f"({a}+{b})*{c}-{d}", (a + b) * c - d))
        elif kind == 1:
            cases.append((f"{a}*{c}/{c}+{b}", a + b))  # exact division
        elif kind == 2:
            cases.append((f"{a}-{b}*({c}-{d})", a - b * (c - d)))
        else:
            cases.append((f"({a}+{b})/{1}*{c}", (a + b) * c))
    return [(expr, f"result = {value}\r\n") for expr, value in cases]


def operand_bodies(count: int) -> list[tuple[str, str]]:
    """``count`` varied (body, exact reply) pairs for the sum service."""
    return [(f"{i % 997} {i * 31 % 1009}", f"{i % 997 + i * 31 % 1009}\r\n") for i in range(count)]


@dataclass
class Result:
    """What one load run measured."""

    requests: int
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Latency percentile in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000

    @property
    def ok(self) -> bool:
        return not self.errors and not self.wrong


def run_load(
    url: str, cases: Sequence[tuple[str, str]], concurrency: int, timeout: float = 10
) -> Result:
    """POST every case once, ``concurrency`` clients at a time (one keep-alive-free connection
    per request, as curl does); record latency and check each reply exactly."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lock = threading.Lock()
    result = Result(len(cases), concurrency, 0.0)

    def one(case: tuple[str, str]) -> None:
        body, expected = case
        start = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
            try:
                conn.request("POST", "/", body=body.encode())
                response = conn.getresponse()
                status, text = response.status, response.read().decode()
            finally:
                conn.close()
        except OSError as error:
            with lock:
                result.errors.append(f"{body!r}: {error}")
            return
        elapsed = time.perf_counter() - start
        with lock:
            result.latencies.append(elapsed)
            if status != 200:
                result.errors.append(f"{body!r}: HTTP {status} {text.strip()}")
            elif text != expected:
                result.wrong.append(f"{body!r}: {text!r} != {expected!r}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, cases))
    result.seconds = time.perf_counter() - started
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OperandService:
    """``python -m services sum`` on 127.0.0.1:<free port> for the block."""

    def __init__(self, service: str = "sum") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services",
                service,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--quiet",
            ],
            cwd=REPO,
        )

    def __enter__(self) -> OperandService:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("the baseline operand service exited") from None
                time.sleep(0.1)
        raise RuntimeError("the baseline operand service never listened")

    def __exit__(self, *_exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


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
    sys.exit(main())
