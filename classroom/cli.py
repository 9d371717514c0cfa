"""``python -m classroom up|status|down``: the calculator lab for every group of a class.

  up       the classroom stack (projects, users, quotas; admin credentials), then every
           group's lab, --workers at a time; a handout per group; run it again to complete
           an interrupted run
  status   each group's last update and its lab as openstacksdk (the group's user) sees it
  down     every group's lab, then the classroom stack; then counts what is left (admin)
  serve    a read-only page of the class on 127.0.0.1:--port, refreshed in place

The backend is ``--backend`` or ``PULUMI_BACKEND_URL`` (a file:// directory, or a shared
``postgres://`` one: ``make classroom-backend``); the admin's credentials are ``--admin-cloud``
or ``OS_CLOUD``. Exit status 0 when every group ended ``ok``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from classroom.driver import Driver, Options
from classroom.serve import Board, make_server
from components.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def _home() -> Path:
    return Path(os.environ.get("CLOUDLAB_HOME", "~/.cloudlab")).expanduser()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m classroom", description="The calculator lab for a whole class."
    )
    p.add_argument("command", choices=("up", "status", "down", "serve"))
    p.add_argument(
        "--config",
        type=Path,
        default=REPO / "Pulumi.classroom.yaml",
        help="the class's stack file (default Pulumi.classroom.yaml)",
    )
    p.add_argument("--workers", type=int, default=2, help="groups at once (default 2)")
    p.add_argument("--backend", help="Pulumi backend URL (default $PULUMI_BACKEND_URL)")
    p.add_argument("--admin-cloud", help="clouds.yaml entry of an admin (default $OS_CLOUD)")
    p.add_argument("--stack", default="classroom", help="the classroom stack's name")
    p.add_argument("--group", action="append", default=[], help="only this group (repeatable)")
    p.add_argument(
        "--work-dir", type=Path, help="workspaces (default $CLOUDLAB_HOME/classroom/work)"
    )
    p.add_argument(
        "--labs-only",
        action="store_true",
        help="up: leave the classroom stack (accounts, quotas) as it is; only the groups' labs",
    )
    p.add_argument("--port", type=int, default=8765, help="serve: the page's port on 127.0.0.1")
    p.add_argument("--interval", type=float, default=15.0, help="serve: seconds between rounds")
    p.add_argument("--handouts", type=Path, help="default $CLOUDLAB_HOME/classroom/handouts")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.workers < 1:
        parser().error("--workers must be at least 1")
    base = _home() / "classroom"
    options = Options(
        config_file=args.config,
        work=args.work_dir or base / "work",
        handouts=args.handouts or base / "handouts",
        workers=args.workers,
        backend=args.backend,
        admin_cloud=args.admin_cloud or os.environ.get("OS_CLOUD"),
        classroom_stack=args.stack,
        only=args.group,
        labs_only=args.labs_only,
    )
    try:
        driver = Driver(options)
    except (ConfigError, ValueError) as error:
        print(f"python -m classroom: {error}", file=sys.stderr)
        return 2
    if args.command == "up":
        return 0 if all(o.ok for o in driver.up()) else 1
    if args.command == "status":
        return 0 if all(o.ok for o in driver.status()) else 1
    if args.command == "serve":
        return serve(driver, args.port, args.interval)
    outcomes, left = driver.down()
    return 0 if all(o.ok for o in outcomes) and (left is None or left.empty) else 1


def serve(driver: Driver, port: int, interval: float) -> int:
    """The class's page until Ctrl-C."""
    board = Board(driver.board_rows, interval)
    server = make_server(board, port, f"Class {driver.o.classroom_stack}", poll_ms=5000)
    board.start()
    host, bound = server.server_address[:2]
    print(f"the class's page: http://{host}:{bound}/ (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        board.stop()
    return 0
