"""Command line: ``python -m services sum|sub|mul|div|calculator --port N [options]``.

Examples::

    python -m services sum --port 50001
    python -m services calculator --port 50005 \\
        --sum http://10.0.0.11:50001 --sub http://10.0.0.12:50002 \\
        --mul http://10.0.0.13:50003 --div http://10.0.0.14:50004

The calculator's URLs default to ``$CLOUDLAB_SUM_URL`` (and ``_SUB_``, ``_MUL_``, ``_DIV_``),
then to the default ports on 127.0.0.1 (everything on one VM, as one lab did).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from services.calculator import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_OPERATIONS,
    DEFAULT_POOL_SIZE,
    DEFAULT_TIMEOUT,
    calculator_app,
    check_url,
)
from services.httpd import (
    DEFAULT_KEEPALIVE_TIMEOUT,
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_REQUEST_TIMEOUT,
    App,
    make_server,
    serve_until_signalled,
)
from services.operand import DEFAULT_PORTS, OPERAND_SERVICES, operand_app

ENV_URL = "CLOUDLAB_{}_URL"


def default_url(service: str) -> str:
    """The calculator's default URL for an operand service (env var, else localhost)."""
    fallback = f"http://127.0.0.1:{DEFAULT_PORTS[service]}/"
    return os.environ.get(ENV_URL.format(service.upper())) or fallback


def _urls(text: str) -> list[str]:
    """One URL, or several separated by commas (replicas, called in turn)."""
    try:
        return [check_url(part.strip()) for part in text.split(",")]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r}")
    return port


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser: one sub-command per service."""
    parser = argparse.ArgumentParser(
        prog="python -m services",
        description="The calculator lab's micro-services (wire-compatible with the Node.js ones).",
    )
    sub = parser.add_subparsers(dest="service", required=True, metavar="SERVICE")
    for service in (*OPERAND_SERVICES, "calculator"):
        what = "the calculator" if service == "calculator" else f"the {service} operand service"
        cmd = sub.add_parser(service, help=f"run {what}", description=f"Run {what}.")
        cmd.add_argument(
            "--port",
            type=_port,
            default=DEFAULT_PORTS[service],
            help=f"TCP port (default {DEFAULT_PORTS[service]}; 0 picks a free one)",
        )
        cmd.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")
        cmd.add_argument("--quiet", action="store_true", help="no access log on stderr")
        cmd.add_argument(
            "--max-body",
            type=int,
            default=DEFAULT_MAX_BODY,
            help=f"largest request body in bytes (default {DEFAULT_MAX_BODY})",
        )
        cmd.add_argument(
            "--request-timeout",
            type=_positive,
            default=DEFAULT_REQUEST_TIMEOUT,
            help="seconds a client may take to send its request "
            f"(default {DEFAULT_REQUEST_TIMEOUT:g})",
        )
        cmd.add_argument(
            "--keepalive-timeout",
            type=_positive,
            default=DEFAULT_KEEPALIVE_TIMEOUT,
            help="seconds an idle persistent connection is kept open "
            f"(default {DEFAULT_KEEPALIVE_TIMEOUT:g})",
        )
        cmd.add_argument(
            "--max-connections",
            type=_count,
            default=DEFAULT_MAX_CONNECTIONS,
            help=f"client connections held open at most (default {DEFAULT_MAX_CONNECTIONS})",
        )
        if service == "calculator":
            for operand in OPERAND_SERVICES:
                cmd.add_argument(
                    f"--{operand}",
                    type=_urls,
                    default=default_url(operand),  # a string: argparse applies type=
                    metavar="URL[,URL...]",
                    help=f"URL of the {operand} service, or of its replicas comma-separated "
                    f"(default ${ENV_URL.format(operand.upper())} "
                    f"or http://127.0.0.1:{DEFAULT_PORTS[operand]}/)",
                )
            cmd.add_argument(
                "--timeout",
                type=_positive,
                default=DEFAULT_TIMEOUT,
                help=f"seconds to wait for an operand service (default {DEFAULT_TIMEOUT:g})",
            )
            cmd.add_argument(
                "--pool-size",
                type=_count,
                default=DEFAULT_POOL_SIZE,
                help="persistent connections to each operand replica, at most "
                f"(default {DEFAULT_POOL_SIZE})",
            )
            cmd.add_argument(
                "--max-operations",
                type=_count,
                default=DEFAULT_MAX_OPERATIONS,
                help="operations (operand calls) one expression may need; longer ones get a 413 "
                f"(default {DEFAULT_MAX_OPERATIONS})",
            )
            cmd.add_argument(
                "--deadline",
                type=_positive,
                default=DEFAULT_DEADLINE,
                help="seconds one request's whole computation may take; past it a 504 "
                f"(default {DEFAULT_DEADLINE:g})",
            )
    return parser


def build_app(args: argparse.Namespace) -> App:
    """The app for the parsed command line."""
    if args.service == "calculator":
        urls = {operand: getattr(args, operand) for operand in OPERAND_SERVICES}
        return calculator_app(
            urls,
            args.timeout,
            args.pool_size,
            max_operations=args.max_operations,
            deadline=args.deadline,
        )
    return operand_app(args.service)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one service until SIGTERM/SIGINT; return the exit status."""
    args = build_parser().parse_args(argv)
    app = build_app(args)
    try:
        server = make_server(
            app,
            args.host,
            args.port,
            name=args.service,
            max_body=args.max_body,
            quiet=args.quiet,
            request_timeout=args.request_timeout,
            keepalive_timeout=args.keepalive_timeout,
            max_connections=args.max_connections,
        )
    except OSError as exc:
        print(f"{args.service}: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    if args.service == "calculator":
        for operand in OPERAND_SERVICES:
            print(f"calculator: {operand} -> {', '.join(getattr(args, operand))}", file=sys.stderr)
    print(f"{args.service}: listening on {server.url}", file=sys.stderr, flush=True)
    drained = serve_until_signalled(server)
    print(f"{args.service}: stopped", file=sys.stderr, flush=True)
    return 0 if drained else 1


if __name__ == "__main__":
    sys.exit(main())
