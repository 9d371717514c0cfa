"""CLI: ``python -m localcloud.proxmox``: serve the lab's Proxmox API on 127.0.0.1 until Ctrl-C.

Prints the ``export`` lines that point the proxmoxve provider (``make up STACK=proxmox``) and
``python -m autonomic`` at it; the certificate file they name lives as long as the server.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import threading

from localcloud.proxmox import serve


def main() -> int:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--time-scale",
        type=float,
        default=0.01,
        help="real seconds per Proxmox second of a task (0: tasks end at once)",
    )
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with serve(time_scale=args.time_scale) as local:
        for key, value in local.provider_env().items():
            print(f"export {key}={shlex.quote(value)}", flush=True)
        print("# serving until Ctrl-C", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
