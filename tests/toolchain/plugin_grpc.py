"""A built resource plugin as a gRPC server of its own, for the tests that read its schema.

Started without an engine address (the plugin SDK's "attach" mode): GetPluginInfo and GetSchema
never call back into the engine, so none is needed and none is faked. The plugin listens on
127.0.0.1 only, prints its port, and is stopped when the context ends.
"""

from __future__ import annotations

import json
import selectors
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

PORT_TIMEOUT = 60.0
"""How long a plugin may take to announce its port (a 300 MB binary starting on a busy CPU)."""
MAX_MESSAGE = 64 * 1024 * 1024
"""The kubernetes schema alone (5 MB) exceeds gRPC's 4 MB default; the engine raises it too."""


def _read_port(proc: subprocess.Popen[str]) -> int:
    """The port the plugin prints on its first line of stdout."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=PORT_TIMEOUT):
            pytest.fail(f"the plugin announced no port within {PORT_TIMEOUT:.0f} s")
    line = proc.stdout.readline().strip()
    if not line.isdigit():
        stderr = proc.stderr.read() if proc.stderr and proc.poll() is not None else ""
        pytest.fail(f"expected a port from the plugin, got {line!r} {stderr}")
    return int(line)


@contextmanager
def serve(binary: Path) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """A client of ``binary`` running as a plugin; the plugin is stopped afterwards."""
    proc = subprocess.Popen(
        [str(binary)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        port = _read_port(proc)
        options = [("grpc.max_receive_message_length", MAX_MESSAGE)]
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
            grpc.channel_ready_future(channel).result(timeout=PORT_TIMEOUT)
            yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def package_schema(stub: provider_pb2_grpc.ResourceProviderStub) -> dict[str, Any]:
    """The package schema the plugin serves (what `pulumi package get-schema` prints)."""
    response = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=120)
    return json.loads(response.schema)
