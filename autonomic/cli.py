"""``python -m autonomic {run,plan,cleanup}``: the manager's command line.

Configuration comes from the Proxmox stack file (``cloudlab:proxmox``, ``cloudlab:autonomic``);
the endpoint and credentials from ``PROXMOX_VE_ENDPOINT`` and ``PROXMOX_VE_API_TOKEN`` (or
``PROXMOX_VE_USERNAME``/``PROXMOX_VE_PASSWORD``). Decisions are logged as JSON lines on
stderr; ``--dry-run`` and ``plan`` print the plan on stdout and change nothing.
Exit status: 0 done, 1 an action failed, 2 bad configuration.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from autonomic.client import Credentials
from autonomic.execute import ApiExecutor, DeclarativeExecutor, Executor, automation_stack
from autonomic.log import DecisionLog
from autonomic.loop import Manager
from autonomic.monitor import monitor
from autonomic.settings import load_stack_file
from components.errors import ConfigError


def parser() -> argparse.ArgumentParser:
    """The command's arguments."""
    p = argparse.ArgumentParser(prog="python -m autonomic", description=__doc__.split("\n")[0])
    p.add_argument("--config", default="Pulumi.proxmox.yaml", help="the Proxmox stack file")
    p.add_argument(
        "--executor",
        choices=("api", "pulumi"),
        default="api",
        help="act through the Proxmox API, or change the placement and run pulumi up",
    )
    p.add_argument("--stack", default="proxmox", help="stack of the pulumi executor")
    p.add_argument("--ca-file", help="CA bundle that signs the API's certificate")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the loop: offloader, load balancer, generator")
    run.add_argument("--once", action="store_true", help="one round, then exit")
    run.add_argument("--iterations", type=int, help="this many rounds, then exit")
    sub.add_parser("plan", help="monitor once and print what a round would do")
    sub.add_parser("cleanup", help="stop and delete every container of the group")
    for command in (run, sub.choices["cleanup"]):
        command.add_argument("--dry-run", action="store_true", help="print the plan, act not")
    return p


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = parser().parse_args(argv)
    log = DecisionLog()
    try:
        settings, timing = load_stack_file(args.config)
        api = Credentials.from_env(env, ca_file=args.ca_file).connect(timing.request_timeout)
    except ConfigError as error:
        log.event("config-error", key=error.key, error=str(error))
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        executor: Executor
        if args.executor == "pulumi":
            work_dir = Path(args.config).resolve().parent
            executor = DeclarativeExecutor(
                automation_stack(args.stack, work_dir), settings, log, api=api, timing=timing
            )
        else:
            executor = ApiExecutor(api, settings, timing, log)
        manager = Manager(
            observe=lambda: monitor(api, settings),
            executor=executor,
            settings=settings,
            thresholds=timing,
            log=log,
            out=sys.stdout,
        )
        if args.command == "plan":
            manager.round(dry_run=True)
        elif args.command == "cleanup":
            manager.cleanup(dry_run=args.dry_run)
        else:
            iterations = 1 if args.once else args.iterations
            manager.run(iterations=iterations, dry_run=args.dry_run)
    except KeyboardInterrupt:
        log.event("interrupted")
    except Exception as error:
        log.event("error", error=f"{type(error).__name__}: {error}")
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
