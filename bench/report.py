"""The benchmarks' results as fragments of the docs site, written by the benchmarks themselves.

Each benchmark runs its ``main`` inside :func:`fragment`, which shows its output as usual and,
when the run succeeds, writes it to ``docs/benchmarks/<name>.md`` with the machine it ran on
and the date; docs/benchmarks.md includes every fragment. No number on that page is typed by
hand: re-run the benchmark (``make bench-<name>``) to refresh its fragment, and commit it.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import platform
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

FRAGMENTS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"


def _first(path: str, prefix: str) -> str | None:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine() -> str:
    """One line about the machine: cores, CPU, memory, OS, Python, load when it started."""
    cpu = _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown CPU"
    mem_kib = _first("/proc/meminfo", "MemTotal")
    memory = f"{int(mem_kib.split()[0]) / 2**20:.0f} GiB" if mem_kib else "memory unknown"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, load average {load} at the start"
    )


class _Tee(io.TextIOBase):
    def __init__(self, out: TextIO) -> None:
        self.out, self.kept = out, io.StringIO()

    def write(self, text: str) -> int:
        self.kept.write(text)
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()


def render(name: str, title: str, output: str, when: datetime.datetime, where: str) -> str:
    """The fragment's Markdown."""
    return (
        f"### {title}\n\n"
        f"Written by `make bench-{name}` (`bench/bench_{name}.py`) on "
        f"{when:%Y-%m-%d %H:%M} UTC; machine: {where}.\n\n"
        f"```text\n{output.rstrip()}\n```\n"
    )


@contextlib.contextmanager
def fragment(name: str, title: str, directory: Path = FRAGMENTS) -> Iterator[None]:
    """Run the body with its standard output also kept; on success (no exception, exit code
    0), write it to ``<directory>/<name>.md``."""
    where = machine()
    tee = _Tee(sys.stdout)
    code: object = 0
    with contextlib.redirect_stdout(tee):
        try:
            yield
        except SystemExit as exit_:
            code = exit_.code
    if code not in (0, None):
        raise SystemExit(code)
    when = datetime.datetime.now(datetime.UTC)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.md"
    path.write_text(render(name, title, tee.kept.getvalue(), when, where))
    print(f"written: {path}", file=sys.stderr)
