"""The secured twin of the guardrail tests: its stack, subnets, port and what drives it.

Its own stack name, subnets and public port, so it clashes neither with ``tests/engine``
(stack ``enginetest``, 192.168.210.0/24 + 192.168.18.0/24, port 50005) nor with a user's
``make up``. The session fixture that brings it up is ``twin`` in conftest.py.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import docker
import pytest
import yaml

from tests.engine.pulumi_project import REPO, PulumiProject, networks_using

STACK = "guardrails"
# Outside the 192.168.160-199 range tests/docker picks its spare subnets from.
FRONTEND, BACKEND, OUTSIDE = "192.168.241.0/24", "192.168.242.0/24", "192.168.243.0/24"
PUBLIC_PORT = 50105
OPERAND_PORTS = {"sum": 50001, "sub": 50002, "mul": 50003, "div": 50004}
CALCULATOR = {
    "topology": "secured",
    "frontendCidr": FRONTEND,
    "backendCidr": BACKEND,
    "routerFrontendIp": "192.168.241.1",
    "routerBackendIp": "192.168.242.1",
    "frontendGatewayIp": "192.168.241.254",
    "publicPort": PUBLIC_PORT,
    "servicePorts": OPERAND_PORTS,
}
URL = f"http://127.0.0.1:{PUBLIC_PORT}"


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
        write_config(self.project, publish_host)

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


def write_config(project: PulumiProject, publish_host: str = "127.0.0.1") -> None:
    path = project.workdir / f"Pulumi.{STACK}.yaml"
    kept = [ln for ln in path.read_text().splitlines() if ln.startswith("encryptionsalt:")]
    dev = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())["config"]
    config = {
        **dev,
        "cloudlab:calculator": CALCULATOR,
        "cloudlab:docker": {**dev["cloudlab:docker"], "publishHost": publish_host},
    }
    path.write_text("\n".join([*kept, yaml.safe_dump({"config": config}, sort_keys=False)]))


def clashing_networks(client: docker.DockerClient) -> list[str]:
    return networks_using(client, (FRONTEND, BACKEND, OUTSIDE), except_stack=STACK)
