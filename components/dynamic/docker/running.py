"""Waiting for a container to be running for good (not restarting), through docker-py's API."""

from __future__ import annotations

import time
from typing import Any

SETTLE_SECONDS = 0.5
"""A container counts as started once it has been running this long without a restart.

A service that cannot start (a bad argument, a failing routing prelude) exits within about
0.2 s here, and Docker's first restart comes 0.1 s later, so half a second still catches it.
Every create holds one of the dynamic provider's workers for this long: 1 s cost about 1 s of
every first `up`.
"""
POLL_SECONDS = 0.1
"""Interval between two inspections while waiting."""


def _logs(api: Any, container_id: str, lines: int = 40) -> str:
    try:
        return api.logs(container_id, tail=lines).decode(errors="replace")
    except Exception as exc:  # diagnostics only
        return f"<no logs: {exc}>"


def wait_running(api: Any, container_id: str, timeout: float) -> dict[str, Any]:
    """Wait until the container has run ``SETTLE_SECONDS`` without a restart; return inspect.

    Raises RuntimeError with the state and the last log lines when it exits, restarts (a
    container that restarts while it starts is crash-looping: its restart policy hides the
    exit), or times out.
    """
    deadline = time.monotonic() + float(timeout)
    since: float | None = None
    first_count = None
    while True:
        attrs = api.inspect_container(container_id)
        state = attrs.get("State") or {}
        count = attrs.get("RestartCount")
        if first_count is None:
            first_count = count
        restarted = count is not None and first_count is not None and count > first_count
        if state.get("Running") and not state.get("Restarting") and not restarted:
            if since is None:
                since = time.monotonic()
            elif time.monotonic() - since >= SETTLE_SECONDS:
                return attrs
        else:
            since = None
        failed = state.get("Status") in ("exited", "dead") or restarted
        if failed or time.monotonic() > deadline:
            why = (
                "restarted while starting"
                if restarted
                else "did not stay running"
                if failed
                else f"not running after {timeout}s"
            )
            raise RuntimeError(
                f"container {attrs.get('Name', container_id).lstrip('/')} {why}: "
                f"status={state.get('Status')} exit={state.get('ExitCode')} "
                f"error={state.get('Error') or '-'} restarts={count}\n"
                f"--- last logs ---\n{_logs(api, container_id)}"
            )
        time.sleep(POLL_SECONDS)
