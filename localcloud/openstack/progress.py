"""Progress lines on stderr for every long step: what, elapsed time, cold estimate, log file.

Warm runs stay quiet: a step announces itself only when it is expected to take a while or when it
outlasts a few seconds (waits print a heartbeat).
"""

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "[openstack]"


def say(message: str) -> None:
    """One progress line on stderr (stdout is kept for the command's own output)."""
    print(f"{PREFIX} {message}", file=sys.stderr, flush=True)


@contextmanager
def step(what: str, estimate_s: float | None = None, log: Path | None = None) -> Iterator[None]:
    """Announce a long step, then report how long it took."""
    extra = []
    if estimate_s is not None:
        extra.append(f"cold estimate ~{estimate_s:.0f} s")
    if log is not None:
        extra.append(f"log: tail -f {log}")
    say(what + (f" ({'; '.join(extra)})" if extra else ""))
    start = time.monotonic()
    yield
    say(f"{what}: done in {time.monotonic() - start:.1f} s")


def wait_until(
    ready: Callable[[], bool],
    what: str,
    timeout_s: float,
    log: Path | None = None,
    interval_s: float = 0.5,
    alive: Callable[[], bool] | None = None,
) -> float:
    """Poll ``ready`` until true; heartbeat every 15 s; fail with the log's tail on timeout.

    ``alive`` (optional) is checked too, so a process that died is reported at once instead of
    after the whole timeout. Returns the seconds waited.
    """
    start = time.monotonic()
    next_beat = start + 15
    while True:
        if ready():
            return time.monotonic() - start
        now = time.monotonic()
        if alive is not None and not alive():
            raise RuntimeError(f"{what}: the process exited{_tail(log)}")
        if now - start > timeout_s:
            raise TimeoutError(f"{what}: not ready after {timeout_s:.0f} s{_tail(log)}")
        if now >= next_beat:
            hint = f"; log: tail -f {log}" if log else ""
            say(f"waiting for {what}: {now - start:.0f} s of at most {timeout_s:.0f} s{hint}")
            next_beat = now + 15
        time.sleep(interval_s)


def _tail(log: Path | None, lines: int = 25) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return f"\n--- last lines of {log} ---\n" + "\n".join(text)
