"""``python -m localcloud.k8s up|down|status|env``: the CLI behind `make k8s` / `make k8s-down`."""

from __future__ import annotations

import argparse
import sys
import time

from localcloud.k8s import StartError, cluster
from localcloud.k8s.layout import API_URL, Layout


def _export_line(layout: Layout) -> str:
    return f"export KUBECONFIG={layout.kubeconfig}"


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit status is 0 on success (for `status`: 0 only when up)."""
    parser = argparse.ArgumentParser(prog="python -m localcloud.k8s", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="build if needed, start, wait until the nodes are Ready")
    p_down = sub.add_parser("down", help="stop every daemon (idempotent)")
    p_down.add_argument("--purge", action="store_true", help="also delete ~/.cloudlab/k8s")
    sub.add_parser("status", help="daemons, memory, API readiness, nodes")
    sub.add_parser("env", help="print the export KUBECONFIG=... line")
    args = parser.parse_args(argv)
    layout = Layout.default()

    if args.command == "up":
        t0 = time.monotonic()
        try:
            started = cluster.up(layout)
        except StartError as err:
            print(f"k8s: ERROR: {err}", file=sys.stderr)
            return 1
        what = f"started in {time.monotonic() - t0:.1f}s" if started else "already up"
        print(f"Kubernetes API {API_URL} {what}; kubeconfig: {layout.kubeconfig}")
        print(_export_line(layout))
        return 0
    if args.command == "down":
        t0 = time.monotonic()
        stopped = cluster.down(layout, purge=args.purge)
        took = time.monotonic() - t0
        print(f"stopped {', '.join(stopped)} in {took:.1f}s" if stopped else "nothing was running")
        return 0
    if args.command == "status":
        print("\n".join(cluster.status_lines(layout)))
        return 0 if cluster.is_up(layout) else 1
    print(_export_line(layout))
    return 0 if layout.kubeconfig.is_file() else 1


if __name__ == "__main__":
    sys.exit(main())
