"""Waiting for a container to be running for good (not restarting), through docker-py's API."""

from __future__ import annotations

import time
from typing import Any

SETTLE_SECONDS = 1.0
"""A container counts as started once it has been running this long without a restart."""


def _logs(api: Any, container_id: str, lines: int = 40) -> str:
    try:
        return api.logs(container_id, tail=lines).decode(errors="replace")
    except Exception as exc:  # diagnostics only
        return f"<no logs: {exc}>"


def wait_running(api: Any, container_id: str, timeout: float) -> dict[str, Any]:
    """Wait until the container has run ``SETTLE_SECONDS`` without a restart; return inspect.

    Raises RuntimeError with the state and the last log lines when it exits or times out.
    """
    deadline = time.monotonic() + float(timeout)
    since: float | None = None
    restarts = None
    while True:
        attrs = api.inspect_container(container_id)
        state = attrs.get("State") or {}
        count = attrs.get("RestartCount")
        if state.get("Running") and not state.get("Restarting") and count == restarts:
            if since is not None and time.monotonic() - since >= SETTLE_SECONDS:
                return attrs
        else:
            since, restarts = time.monotonic(), count
        if state.get("Status") in ("exited", "dead") or time.monotonic() > deadline:
            why = (
                "did not stay running"
                if state.get("Status") in ("exited", "dead")
                else (f"not running after {timeout}s")
            )
            raise RuntimeError(
                f"container {attrs.get('Name', container_id).lstrip('/')} {why}: "
                f"status={state.get('Status')} exit={state.get('ExitCode')} "
                f"error={state.get('Error') or '-'} restarts={count}\n"
                f"--- last logs ---\n{_logs(api, container_id)}"
            )
        time.sleep(0.2)
