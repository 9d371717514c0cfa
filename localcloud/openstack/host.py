"""The host's kernel limits the data plane needs, raised (never lowered) when the cloud starts.

Every server is a container running systemd, and systemd (with journald and logind) holds
about four inotify instances. The kernel's default per-user limit, 128, is shared by every
container of the same user (root), so past about 35 servers a new server's systemd cannot
start and exits with status 255 before Nova can plug its ports; Nova then reports the server
``ERROR`` ("ip link set ... netns ...: No such process"). Measured: a 30-group class (150
servers) stopped at 37 running servers with exactly 128 instances in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SYSCTL = Path("/proc/sys")

FLOORS = {
    "fs.inotify.max_user_instances": 8192,
    "fs.inotify.max_user_watches": 524288,
}
"""The values the limits are raised to (Kubernetes-in-Docker's advice for many systemd
containers); a host already above them keeps its own."""

INSTANCES_PER_SERVER = 4
"""inotify instances one server's systemd holds (3 to 5 measured)."""


@dataclass(frozen=True)
class Limit:
    key: str
    floor: int
    before: int
    after: int
    error: str = ""

    @property
    def raised(self) -> bool:
        return self.after > self.before


def _path(key: str, root: Path) -> Path:
    return root / key.replace(".", "/")


def raise_limits(root: Path = SYSCTL, floors: dict[str, int] | None = None) -> list[Limit]:
    """Raise each limit of ``floors`` to at least its floor; report what each was and is."""
    out = []
    for key, floor in (floors or FLOORS).items():
        path = _path(key, root)
        before = int(path.read_text().split()[0])
        if before >= floor:
            out.append(Limit(key, floor, before, before))
            continue
        try:
            path.write_text(f"{floor}\n")
        except OSError as error:
            out.append(
                Limit(key, floor, before, before, f"{type(error).__name__}: {error.strerror}")
            )
            continue
        out.append(Limit(key, floor, before, int(path.read_text().split()[0])))
    return out


def describe(limits: list[Limit]) -> list[str]:
    """One line per limit that was raised or could not be."""
    lines = []
    for limit in limits:
        if limit.raised:
            lines.append(f"raised {limit.key} from {limit.before} to {limit.after}")
        elif limit.error:
            room = ""
            if limit.key == "fs.inotify.max_user_instances":
                room = f"about {limit.before // INSTANCES_PER_SERVER} servers can run; "
            lines.append(
                f"could not raise {limit.key} ({limit.before}; {limit.error}): {room}"
                f"as root: sysctl -w {limit.key}={limit.floor}"
            )
    return lines
