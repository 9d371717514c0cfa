"""Run one job per group from a bounded pool of threads; a failure is that group's result,
never the others'. One progress line per group as it ends, then the class's table."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TextIO


@dataclass
class Outcome:
    """What one group's job ended with."""

    group: str
    stack: str
    result: str
    """``ok``, ``failed``, ``locked``, ..."""
    seconds: float = 0.0
    url: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.result == "ok"


Job = Callable[[str], Outcome]


def fan_out(
    groups: Sequence[str], job: Job, workers: int, out: TextIO, verb: str = "up"
) -> list[Outcome]:
    """``job(group)`` for every group, at most ``workers`` at once, in roster order."""
    lock = threading.Lock()
    done = 0
    started = time.monotonic()

    def timed(group: str) -> Outcome:
        t0 = time.monotonic()
        try:
            outcome = job(group)
        except Exception as error:  # one group's failure is its own result
            outcome = Outcome(group, f"group-{group}", "failed", detail=_first_line(error))
        outcome.seconds = time.monotonic() - t0
        return outcome

    results: dict[str, Outcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="group") as pool:
        futures = {pool.submit(timed, group): group for group in groups}
        for future in as_completed(futures):
            outcome = future.result()
            results[outcome.group] = outcome
            with lock:
                done += 1
                extra = f": {outcome.detail}" if outcome.detail and not outcome.ok else ""
                out.write(
                    f"[{done}/{len(groups)} {time.monotonic() - started:6.1f}s] {verb} "
                    f"{outcome.group}: {outcome.result} in {outcome.seconds:.1f}s{extra}\n"
                )
                out.flush()
    return [results[group] for group in groups]


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    lines = [line for line in text.splitlines() if "error:" in line.lower()] or text.splitlines()
    return lines[0][:300]


def table(outcomes: Sequence[Outcome]) -> str:
    """The class's table: group, stack, result, duration, calculator URL."""
    head = ("group", "stack", "result", "duration", "calculator URL")
    rows = [(o.group, o.stack, o.result, f"{o.seconds:.1f}s", o.url or "-") for o in outcomes]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (head, *rows)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
