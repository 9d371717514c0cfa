"""An HTTP load generator with every reply checked: the calculator's expressions and the
operand services' bodies with their exact answers, concurrent clients, latency percentiles, and
a throwaway operand service to compare with.

Used by ``bench/bench_load.py`` (the twin under load, side by side with one operand service)
and ``tests/guardrails/test_load.py`` (a bounded load on the guardrail twin).
"""

from __future__ import annotations

import http.client
import socket
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
