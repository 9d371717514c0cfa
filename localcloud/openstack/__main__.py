"""CLI: ``python -m localcloud.openstack up|down|status|env``."""

import argparse
import sys

from localcloud.openstack import lifecycle
from localcloud.openstack.layout import CLOUD_NAME, Layout


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit status 0 on success (``status``: 0 only if everything runs)."""
    parser = argparse.ArgumentParser(prog="python -m localcloud.openstack", description=__doc__)
    parser.add_argument("command", choices=("up", "down", "status", "env"))
    args = parser.parse_args(argv)
    layout = Layout.default()
    if args.command == "up":
        if not lifecycle.up(layout):
            print("the local OpenStack is already up", file=sys.stderr)
        print(f"export OS_CLOUD={CLOUD_NAME}")
        return 0
    if args.command == "down":
        if not lifecycle.down(layout):
            print("the local OpenStack is not running", file=sys.stderr)
        return 0
    if args.command == "env":
        print(f"export OS_CLOUD={CLOUD_NAME}")
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
