"""Pulumi's Python dynamic provider (``python -m pulumi.dynamic``), serving as many calls at once
as the engine sends.

The SDK's module (pulumi 3.259.0) serves its gRPC calls from a pool of four threads, so a fifth
resource create waits for one of the first four to end, though the engine runs up to
``--parallel`` steps at once: the Docker twin's six containers, each of which waits until it has
settled, took two rounds of them. This runs the SDK's module unchanged, except that the gRPC server
it makes gets ``WORKERS`` threads.

``scripts/toolchain.sh`` installs this file next to ``pulumi-resource-pulumi-python`` and points
that script here instead of at ``-m pulumi.dynamic``. ``tests/engine/test_dynamic_host.py`` pins
the SDK version this was written for and proves the wider pool through the engine.
"""

import os
import runpy
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

WORKERS = 32
WRITTEN_FOR = "3.259.0"
"""The pulumi SDK whose ``pulumi/dynamic/__main__.py`` makes its server with ``grpc.server(pool,
...)``; a test fails when the installed SDK is another."""


def main() -> None:
    import grpc

    make_server = grpc.server

    def server(pool: ThreadPoolExecutor, *args: Any, **kwargs: Any) -> grpc.Server:
        pool.shutdown(wait=False)  # the SDK's four-thread pool, which has run nothing yet
        return make_server(ThreadPoolExecutor(max_workers=WORKERS), *args, **kwargs)

    grpc.server = server
    # As `python -m` does: the program's own modules (the providers' classes) are importable.
    sys.path[0] = os.getcwd()
    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
