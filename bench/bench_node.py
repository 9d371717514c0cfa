"""The Python services (services/) against a Node.js ``http`` reference of the same five
services (bench/node/services.js), under the same load, in one run, on 127.0.0.1.

    python -m bench.bench_node [--connections 16] [--requests 20000] [--duration 8]
                               [--rounds 2] [--services-root DIR]

Why: the labs' originals were Node.js services; ours must not be the slow part of a lab
(issue 15). The goals: calculator >= 1.0x Node's throughput, sum >= 0.5x, p99 <= 2x Node's.

Each implementation runs as five real processes (four operand services and the calculator
wired to them). The load generator is this process: asyncio, ``--connections`` persistent
HTTP/1.1 connections each sending its next request when the previous reply is in (closed
loop), stopping at ``--requests`` replies or ``--duration`` seconds, whichever comes first,
after a short warm-up. Every reply is checked byte for byte. The rounds alternate Python and
Node so that the load of this shared machine falls on both alike; the table pools them.
``--services-root`` runs the ``services`` package of another checkout (for a before/after).

The generator shares the CPU with the servers: its own cost per request is printed (a run
against an in-process no-op server) so a ceiling it imposes is visible, not hidden.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import fragment

REPO = Path(__file__).resolve().parents[1]
NODE_SERVICES = REPO / "bench" / "node" / "services.js"
OPERANDS = ("sum", "sub", "mul", "div")
CASES = {
    # name: (service, body, expected reply body)
    "sum": ("sum", b"5 6", b"11\r\n"),
    "calculator": ("calculator", b"(5+6)*2", b"result = 22\r\n"),
}
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+)/)")


# -- the services under test -------------------------------------------------------------------


class Process:
    """One service process; its URL is read from its "listening on" line on stderr."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stderr is not None
        self.lines: list[str] = []
        deadline = time.monotonic() + 20
        for line in self.proc.stderr:
            self.lines.append(line)
            match = _LISTENING.search(line)
            if match:
                self.url, self.port = match.group(1), int(match.group(2))
                break
            if time.monotonic() > deadline:
                break
        else:
            self.stop()
            raise RuntimeError(f"{argv[:3]}: no listening line: {''.join(self.lines)[-500:]}")
        # keep draining stderr so a chatty service never blocks on a full pipe
        self.reader = threading.Thread(target=self.lines.extend, args=(self.proc.stderr,))
        self.reader.start()

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if hasattr(self, "reader"):
            self.reader.join(5)


@contextmanager
def five_services(kind: str, services_root: Path) -> Iterator[dict[str, Process]]:
    """The four operand services and the calculator, Python or Node, on 127.0.0.1."""
    env = dict(os.environ)
    if kind == "python":
        env["PYTHONPATH"] = str(services_root)
        base = [sys.executable, "-m", "services"]
        extra = ["--host", "127.0.0.1", "--port", "0", "--quiet"]
        cwd = services_root
    else:
        node = shutil.which("node")
        if node is None:
            raise SystemExit("node is not installed (the Node.js reference needs it)")
        base = [node, str(NODE_SERVICES)]
        extra = ["--host", "127.0.0.1", "--port", "0"]
        cwd = REPO
    with ExitStack() as stack:
        started: dict[str, Process] = {}
        for name in OPERANDS:
            started[name] = Process([*base, name, *extra], cwd, env)
            stack.callback(started[name].stop)
        wiring = [arg for name in OPERANDS for arg in (f"--{name}", started[name].url)]
        started["calculator"] = Process([*base, "calculator", *extra, *wiring], cwd, env)
        stack.callback(started["calculator"].stop)
        yield started


# -- the load generator ------------------------------------------------------------------------


@dataclass
class Result:
    """Replies and latencies (seconds) of one measured run."""

    elapsed: float = 0.0
    cpu: float = 0.0  # CPU seconds the five service processes used during the measured part
    latencies: list[float] = field(default_factory=list)
    wrong: list[bytes] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, other: Result) -> None:
        self.elapsed += other.elapsed
        self.cpu += other.cpu
        self.latencies += other.latencies
        self.wrong += other.wrong
        self.errors += other.errors

    @property
    def cpu_per_request(self) -> float:
        """Service CPU microseconds per reply: the cost, whatever the generator's ceiling."""
        return self.cpu / len(self.latencies) * 1e6 if self.latencies else float("nan")

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in milliseconds (nearest rank)."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1] * 1000


class _Client(asyncio.Protocol):
    """One persistent connection sending the same request again and again."""

    def __init__(self, request: bytes, expected: bytes, run: _Run, port: int) -> None:
        self.request = request
        self.port = port
        self.reconnecting = False
        self.expected = expected
        self.run = run
        self.buffer = bytearray()
        self.sent_at = 0.0
        self.transport: asyncio.Transport | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.send()

    def send(self) -> None:
        assert self.transport is not None
        if not self.run.claim():
            self.transport.close()
            return
        self.sent_at = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end == -1:
            return
        head = bytes(self.buffer[:end]).lower()
        match = re.search(rb"\r\ncontent-length: *(\d+)", head)
        if match is None:
            self.fail(f"reply without Content-Length: {head[:80]!r}")
            return
        length = int(match.group(1))
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        latency = time.perf_counter() - self.sent_at
        del self.buffer[: end + 4 + length]
        if head.startswith(b"http/1.1 200 ") and body == self.expected:
            self.run.record(latency)
        else:
            self.run.result.wrong.append(head[:40] + b" " + body[:60])
        if b"\r\nconnection: close" in head:
            # a server without keep-alive (the services before issue 15): reconnect, the
            # cost of the design being measured
            self.reconnecting = True
            assert self.transport is not None
            self.transport.close()
            return
        self.send()

    def fail(self, message: str) -> None:
        self.run.result.errors.append(message)
        assert self.transport is not None
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.reconnecting:
            self.reconnecting = False
            self.buffer.clear()
            task = asyncio.ensure_future(self.reconnect())
            self.run.tasks.add(task)
            task.add_done_callback(self.run.tasks.discard)
        elif not self.done.done():
            self.done.set_result(None)

    async def reconnect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: self, "127.0.0.1", self.port)
        except OSError as exc:
            self.run.result.errors.append(f"reconnect: {exc!r}")
            self.done.set_result(None)


class _Run:
    """The shared counters of one run: requests left and the time limit."""

    def __init__(self, requests: int, duration: float, measured: bool) -> None:
        self.left = requests
        self.deadline = time.perf_counter() + duration
        self.measured = measured
        self.result = Result()
        self.tasks: set[asyncio.Task[None]] = set()

    def claim(self) -> bool:
        if self.left <= 0 or time.perf_counter() > self.deadline:
            return False
        self.left -= 1
        return True

    def record(self, latency: float) -> None:
        if self.measured:
            self.result.latencies.append(latency)


async def _load(
    port: int,
    body: bytes,
    expected: bytes,
    connections: int,
    requests: int,
    duration: float,
    cpu: Callable[[], float],
) -> Result:
    loop = asyncio.get_running_loop()
    request = (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: text/plain\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (port, len(body), body)
    )
    for measured, count, seconds in ((False, 50 * connections, 5.0), (True, requests, duration)):
        run = _Run(count, seconds, measured)
        clients: list[_Client] = []
        cpu_before = cpu()
        started = time.perf_counter()
        for _ in range(connections):
            _, client = await loop.create_connection(
                lambda run=run: _Client(request, expected, run, port), "127.0.0.1", port
            )
            clients.append(client)
        await asyncio.wait_for(asyncio.gather(*(c.done for c in clients)), seconds + 30)
        run.result.elapsed = time.perf_counter() - started
        run.result.cpu = cpu() - cpu_before
    return run.result


def load(
    port: int,
    case: str,
    connections: int,
    requests: int,
    duration: float,
    cpu: Callable[[], float] = lambda: 0.0,
) -> Result:
    """Run the closed-loop load of ``case`` against 127.0.0.1:``port``; ``cpu`` reads the
    CPU seconds used so far by the servers."""
    _, body, expected = CASES[case]
    return asyncio.run(_load(port, body, expected, connections, requests, duration, cpu))


# -- the generator's own ceiling ---------------------------------------------------------------


class _NoOp(asyncio.Protocol):
    """A server that answers every request with a fixed reply at once (no parsing): what
    the generator alone can drive, on this machine, now."""

    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n11\r\n"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(self.reply * data.count(b"POST "))


def generator_ceiling(connections: int, requests: int, duration: float) -> Result:
    """The generator against a no-op server in another process (it must not share the
    generator's loop, or the ceiling would count the server's work too)."""
    code = (
        "import asyncio\n"
        "from bench.bench_node import _NoOp\n"
        "async def main():\n"
        "    server = await asyncio.get_running_loop().create_server(_NoOp, '127.0.0.1', 0)\n"
        "    print(server.sockets[0].getsockname()[1], flush=True)\n"
        "    await asyncio.sleep(120)\n"
        "asyncio.run(main())\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        return load(port, "sum", connections, requests, duration)
    finally:
        proc.kill()
        proc.wait(5)


# -- report ------------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return (
        f"nproc {os.cpu_count()}, {model}, Python {sys.version.split()[0]}, "
        f"node {node.stdout.strip()}"
    )


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=20000, help="per case and round")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds, per case and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--services-root", type=Path, default=REPO)
    args = parser.parse_args(argv)

    print(f"machine: {machine()}", file=sys.stderr)
    print(f"load average before: {load_average()}", file=sys.stderr)
    ceiling = generator_ceiling(args.connections, args.requests, args.duration)
    results = {(kind, case): Result() for kind in ("python", "node") for case in CASES}
    started = time.monotonic()
    for number in range(args.rounds):
        order = ("python", "node") if number % 2 == 0 else ("node", "python")
        for kind in order:
            with five_services(kind, args.services_root) as services:
                for case in CASES:
                    service = CASES[case][0]
                    result = load(
                        services[service].port,
                        case,
                        args.connections,
                        args.requests,
                        args.duration,
                        lambda: sum(p.cpu_seconds() for p in services.values()),
                    )
                    results[kind, case].add(result)
                    print(
                        f"  round {number + 1} {kind:6} {case:10} {result.throughput:8.0f} req/s"
                        f"  p50 {result.percentile(50):6.2f} ms  p99 {result.percentile(99):6.2f}"
                        f" ms  {result.cpu_per_request:5.0f} us CPU/req"
                        f"  ({len(result.latencies)} replies, {time.monotonic() - started:.0f} s)",
                        file=sys.stderr,
                    )
    print(f"load average after: {load_average()}", file=sys.stderr)

    print(
        f"\n{args.connections} persistent connections, closed loop, {args.rounds} round(s) of "
        f"at most {args.requests} requests or {args.duration:g} s per case, 127.0.0.1"
    )
    print(f"machine: {machine()}; load average at the end: {load_average()}")
    print(
        f"generator ceiling (no-op server): {ceiling.throughput:,.0f} req/s, "
        f"p50 {ceiling.percentile(50):.2f} ms"
    )
    print(
        "| case | Python req/s | Node req/s | ratio | Python p50/p99 ms | Node p50/p99 ms "
        "| p99 ratio | service CPU us/req Python/Node | goal |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    failures = 0
    for case, goal in (("sum", 0.5), ("calculator", 1.0)):
        ours, node = results["python", case], results["node", case]
        failures += len(ours.wrong) + len(ours.errors) + len(node.wrong) + len(node.errors)
        ratio = ours.throughput / node.throughput if node.throughput else float("nan")
        p99_ratio = ours.percentile(99) / node.percentile(99)
        met = ratio >= goal and p99_ratio <= 2.0
        print(
            f"| {case} `{CASES[case][1].decode()}` | {ours.throughput:,.0f} | "
            f"{node.throughput:,.0f} | {ratio:.2f} | {ours.percentile(50):.2f} / "
            f"{ours.percentile(99):.2f} | {node.percentile(50):.2f} / {node.percentile(99):.2f}"
            f" | {p99_ratio:.2f} | {ours.cpu_per_request:.0f} / {node.cpu_per_request:.0f}"
            f" | >= {goal}x, p99 <= 2x: {'met' if met else 'NOT met'} |"
        )
    for (kind, case), result in results.items():
        for problem in (result.errors + [repr(w) for w in result.wrong])[:3]:
            print(f"{kind} {case}: {problem}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    with fragment("node", "The services against a Node.js reference"):
        sys.exit(main())
