"""CLI: ``python -m localcloud.openstack up|down|status|env``.

``up`` and ``env`` print the shell lines that point a shell at the cloud:
``eval "$(venv/bin/python -m localcloud.openstack env)"`` sets ``OS_CLOUD`` and puts the
``openstack`` client of the cloud's venv (and nothing else of that venv) on ``PATH``.
"""

import argparse
import sys
from pathlib import Path

from localcloud.openstack import lifecycle
from localcloud.openstack.layout import CLOUD_NAME, Layout


def client_dir(layout: Layout) -> Path:
    """A directory holding only a link to the cloud venv's ``openstack`` client."""
    directory = layout.state / "bin"
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / "openstack"
    target = layout.bin("openstack")
    if not link.is_symlink() or Path(link.readlink()) != target:
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    return directory


def shell_lines(layout: Layout) -> str:
    """``export`` lines for ``eval``: the cloud's name, and its client on PATH."""
    return f'export OS_CLOUD={CLOUD_NAME}\nexport PATH="{client_dir(layout)}:$PATH"'


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit status 0 on success (``status``: 0 only if everything runs)."""
    parser = argparse.ArgumentParser(prog="python -m localcloud.openstack", description=__doc__)
    parser.add_argument("command", choices=("up", "down", "status", "env"))
    args = parser.parse_args(argv)
    layout = Layout.default()
    if args.command == "up":
        if not lifecycle.up(layout):
            print("the local OpenStack is already up", file=sys.stderr)
        print(shell_lines(layout))
        return 0
    if args.command == "down":
        if not lifecycle.down(layout):
            print("the local OpenStack is not running", file=sys.stderr)
        return 0
    if args.command == "env":
        print(shell_lines(layout))
        return 0
    rows = lifecycle.status(layout)
    for row in rows:
        state = f"pid {row.pid}" if row.pid else "stopped"
        port = f"127.0.0.1:{row.port}" if row.port else "-"
        print(f"{row.name:15} {state:12} {port:16} {row.pss_kib / 1024:7.1f} MiB")
    total = sum(r.pss_kib for r in rows) / 1024
    running = sum(1 for r in rows if r.pid)
    print(f"{running}/{len(rows)} running; memory (PSS, process groups): {total:.0f} MiB")
    print(f"state: {layout.state}; venv: {layout.venv}")
    return 0 if running == len(rows) else 3


if __name__ == "__main__":
    sys.exit(main())
