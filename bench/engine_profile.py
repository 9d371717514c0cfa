"""Where a ``pulumi up`` spends its time, from the engine's own log.

``pulumi up --logtostderr -v=7`` writes one JSON object per line, each with a UTC ``time``.
The lines read here mark the engine's phases (the language host's ``Run``, the program's first
resource registration, the dynamic provider's start, every step applied and retired, the end
of the program). :func:`profile` turns them into rows of (start, duration, what), measured from
the moment the ``pulumi`` process was started, so the rows add up to the wall time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

LOG_FLAGS = ("--logtostderr", "-v=7")
"""The flags that make ``pulumi`` write the lines :func:`profile` reads."""

_STEP = re.compile(r"applying step (\w+) on (urn:\S+)")
_RETIRED = re.compile(r"step (\w+) on (urn:\S+) retired")


@dataclass(frozen=True)
class Row:
    start: float
    """Seconds after the ``pulumi`` process was started."""
    seconds: float
    what: str


def _events(log: str, started: float) -> list[tuple[float, str]]:
    events = []
    for line in log.splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        when = datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()
        events.append((when - started, str(entry.get("msg", ""))))
    return events


def _short(urn: str) -> str:
    """``urn:...$pulumi-python:dynamic/cloudlab/docker:Container::calc-router`` ->
    ``Container calc-router``."""
    typ, _, name = urn.rpartition("::")
    return f"{typ.rsplit(':', 1)[-1].rsplit('$', 1)[-1]} {name}"


def _first(events: list[tuple[float, str]], needle: str) -> float | None:
    return next((t for t, msg in events if needle in msg), None)


def profile(log: str, started: float, ended: float) -> list[Row]:
    """Rows of the phases and steps of one ``pulumi`` run whose process ran from ``started``
    to ``ended`` (epoch seconds) and whose log (``LOG_FLAGS``) is ``log``."""
    events = _events(log, started)
    rows: list[Row] = []
    run = _first(events, "langhost[python].Run(")
    first_resource = _first(events, "ResourceMonitor.RegisterResource received")
    done = _first(events, "run_pulumi_func completed")
    if run is not None:
        rows.append(Row(0.0, run, "CLI start, plugins, language host About (python)"))
        if first_resource is not None:
            rows.append(Row(run, first_resource - run, "program start until its first resource"))
    provider_asked = _first(events, "normalizeProviderRequest(pulumi-python)")
    provider_ready = next(
        (
            t
            for t, msg in events
            if "pulumi:providers:pulumi-python::default" in msg
            and ("Checking step" in msg or "ProviderRegistry.Diff" in msg)
        ),
        None,
    )
    if provider_asked is not None and provider_ready is not None:
        rows.append(
            Row(
                provider_asked,
                provider_ready - provider_asked,
                "dynamic provider process start (pulumi-python)",
            )
        )
    applied: dict[tuple[str, str], float] = {}
    for t, msg in events:
        if (m := _RETIRED.search(msg)) is not None:
            key = (m.group(1), m.group(2))
            if key in applied and "pulumi:providers:" not in key[1]:
                begin = applied.pop(key)
                rows.append(Row(begin, t - begin, f"{key[0]} {_short(key[1])}"))
        elif (m := _STEP.search(msg)) is not None:
            applied[(m.group(1), m.group(2))] = t
    if done is not None:
        rows.append(Row(done, ended - started - done, "program end, checkpoint, CLI exit"))
    return sorted(rows, key=lambda r: r.start)


def render(rows: list[Row], min_seconds: float = 0.02) -> str:
    """A table of the rows that took at least ``min_seconds``."""
    lines = ["   start    took  what"]
    lines += [
        f"  {r.start:6.2f}  {r.seconds:6.2f}  {r.what}" for r in rows if r.seconds >= min_seconds
    ]
    return "\n".join(lines)
