"""The secured twin of the guardrail tests: its stack, subnets, port and what drives it.

Its own stack name, subnets and public port (``GUARDRAILS`` in tests/engine/twins.py), so it
clashes neither with the other test twins nor with a user's ``make up``. The session fixture
that brings it up is ``twin`` in conftest.py.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import docker
import pytest

from tests.engine.pulumi_project import PulumiProject
from tests.engine.twins import GUARDRAILS, OPERAND_PORTS

__all__ = ["BACKEND", "FRONTEND", "OPERAND_PORTS", "OUTSIDE", "PUBLIC_PORT", "STACK", "URL", "Twin"]

STACK = GUARDRAILS.stack
FRONTEND, BACKEND, OUTSIDE = GUARDRAILS.frontend, GUARDRAILS.backend, GUARDRAILS.outside
PUBLIC_PORT = GUARDRAILS.public_port
URL = GUARDRAILS.url


def post(url: str, body: str, timeout: float = 10) -> tuple[int, str]:
    """(status, body) of ``POST url`` (HTTP errors included)."""
    request = urllib.request.Request(url, data=body.encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def container_name(role: str) -> str:
    return f"calc-{STACK}-{role}"


def wait_answer(url: str, body: str, expected: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = post(url, body, timeout=3)
            if last == (200, expected):
                return
        except OSError as error:
            last = error
        time.sleep(0.3)
    pytest.fail(f"{url} never answered {expected!r} to {body!r}; last: {last!r}")


@dataclass
class Twin:
    project: PulumiProject
    client: docker.DockerClient
    private_ips: dict[str, str]

    def pulumi(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.project.run(*args, "--stack", STACK, check=check)

    def up(self) -> subprocess.CompletedProcess:
        return self.pulumi("up", "--yes", "--skip-preview")

    def configure(self, publish_host: str = "127.0.0.1") -> None:
        """Write the stack's config: the dev stack's, on the guardrail subnets and port."""
        GUARDRAILS.write_config(self.project, publish_host=publish_host)

    def exec(self, role: str, code: str, timeout: float = 30) -> str:
        """Run python ``code`` in one of the twin's containers; its stdout."""
        res = subprocess.run(
            ["docker", "exec", container_name(role), "python3", "-c", code],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if res.returncode != 0:
            pytest.fail(f"docker exec {container_name(role)} failed: {res.stderr[-2000:]!r}")
        return res.stdout.decode()
