"""``python -m edge {measure,decide,migrate} [--dry-run]``.

measure   one round of timed requests to the app's NodePort on each worker, printed as JSON
decide    the placement hysteresis leads to, over a recorded series (``--series``) or live rounds
migrate   decide, then set the stack's placement and run ``pulumi up`` (``--dry-run``: only say)

Targets come from ``--target worker=url`` (repeatable) or the stack's ``workerUrls`` output.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from edge.decide import Decision, Policy, decide
from edge.latency import measure_round, measure_rounds
from edge.migrate import StackLike, apply_placement, current_placement, open_stack, worker_urls

StackFactory = Callable[[str], StackLike]


def _target(text: str) -> tuple[str, str]:
    worker, sep, url = text.partition("=")
    if not sep or not worker or urlsplit(url).scheme not in ("http", "https"):
        raise argparse.ArgumentTypeError(f"expected worker=http://host:port/, got {text!r}")
    return worker, url


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m edge", description="Move the FastAPI app to the closest worker."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("measure", "decide", "migrate"):
        p = sub.add_parser(name)
        p.add_argument("--stack", default="kubernetes", help="Pulumi stack (default kubernetes)")
        p.add_argument("--target", action="append", type=_target, default=[], metavar="W=URL")
        p.add_argument("--requests", type=int, default=5, help="timed requests per worker")
        p.add_argument("--timeout", type=float, default=2.0, help="seconds per request")
        if name == "measure":
            continue
        p.add_argument("--series", type=Path, help="recorded rounds (JSON list of {worker: ms})")
        p.add_argument("--rounds", type=int, default=5, help="live rounds when no --series")
        p.add_argument("--interval", type=float, default=2.0, help="seconds between rounds")
        p.add_argument("--margin-ms", type=float, default=5.0)
        p.add_argument("--consecutive", type=int, default=3)
        p.add_argument("--current", help="current placement (default: the stack's config)")
        p.add_argument("--dry-run", action="store_true", help="print what would be done")
    return parser


def load_series(path: Path) -> list[dict[str, float]]:
    """A recorded series: ``null`` (an unreachable worker) becomes ``inf``."""
    rounds = json.loads(path.read_text())
    if not isinstance(rounds, list) or not all(isinstance(r, dict) for r in rounds):
        raise ValueError(f"{path}: expected a JSON list of {{worker: milliseconds}}")
    return [{str(w): math.inf if ms is None else float(ms) for w, ms in r.items()} for r in rounds]


def _json_ms(latencies: dict[str, float]) -> dict[str, float | None]:
    return {w: None if math.isinf(ms) else round(ms, 3) for w, ms in latencies.items()}


def main(
    argv: Sequence[str] | None = None,
    *,
    stack_factory: StackFactory = open_stack,
    out: TextIO | None = None,
    sleep: Callable[[float], None] | None = None,
) -> int:
    """Run one command; ``stack_factory`` opens the Automation API stack (injectable)."""
    args = _parser().parse_args(argv)
    stream = out or sys.stdout

    def say(line: Any) -> None:
        print(line, file=stream, flush=True)

    stack: StackLike | None = None

    def get_stack() -> StackLike:
        nonlocal stack
        if stack is None:
            stack = stack_factory(args.stack)
        return stack

    targets = dict(args.target)
    needs_targets = args.command == "measure" or args.series is None
    if needs_targets and not targets:
        targets = worker_urls(get_stack())

    if args.command == "measure":
        say(
            json.dumps(
                _json_ms(measure_round(targets, requests=args.requests, timeout=args.timeout))
            )
        )
        return 0

    if args.series is not None:
        series = load_series(args.series)
    else:
        series = measure_rounds(
            targets,
            rounds=args.rounds,
            interval=args.interval,
            requests=args.requests,
            timeout=args.timeout,
            **({"sleep": sleep} if sleep else {}),
        )
        for latencies in series:
            say(json.dumps(_json_ms(latencies)))
    current = args.current or current_placement(get_stack())
    decision: Decision = decide(current, series, Policy(args.margin_ms, args.consecutive))
    say(decision.reason)
    if args.command == "decide":
        say(json.dumps({"current": decision.current, "placement": decision.placement}))
        return 0
    if not decision.changed:
        return 0
    apply_placement(get_stack(), decision.placement, dry_run=args.dry_run, out=say)
    return 0
