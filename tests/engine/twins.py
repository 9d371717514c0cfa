"""The Docker twins the real-engine tests bring up, each on subnets and a port of its own.

A user's own lab (`make up`: the `dev` stack, 192.168.210.0/24 + 192.168.18.0/24, port 50005)
may be running while `make test` runs, as the README's two commands have it. So no test twin
uses the lab's subnets or port, no two test twins share any, and every test names its own stack
and touches only what carries that stack's label. The lab's real defaults are tested under
mocks and on the local OpenStack, whose addresses live in its own namespaces.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import docker
import pytest
import yaml

from tests.engine.pulumi_project import REPO, PulumiProject, networks_using

OPERAND_PORTS = {"sum": 50001, "sub": 50002, "mul": 50003, "div": 50004}


@dataclass(frozen=True)
class TestTwin:
    """One test's twin: its stack name, its two /24s (and a third for an outside network, if
    the test makes one), and its published port on 127.0.0.1."""

    __test__ = False  # not a pytest class

    stack: str
    frontend: str
    backend: str
    public_port: int
    outside: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def subnets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.frontend, self.backend, self.outside) if s)

    def prefix(self, cidr: str) -> str:
        """``192.168.231`` for ``192.168.231.0/24``."""
        return cidr.rsplit(".", 1)[0]

    def calculator(self) -> dict[str, Any]:
        """The `cloudlab:calculator` config: the dev stack's, on this twin's subnets and port."""
        return {
            "topology": "secured",
            "frontendCidr": self.frontend,
            "backendCidr": self.backend,
            "routerFrontendIp": f"{self.prefix(self.frontend)}.1",
            "routerBackendIp": f"{self.prefix(self.backend)}.1",
            "publicPort": self.public_port,
            "servicePorts": OPERAND_PORTS,
        }

    def config(self, dev: dict[str, Any], publish_host: str = "127.0.0.1") -> dict[str, Any]:
        """``dev`` (a Pulumi.dev.yaml's `config:` mapping) with this twin's calculator."""
        return {
            **dev,
            "cloudlab:calculator": {**dev["cloudlab:calculator"], **self.calculator()},
            "cloudlab:docker": {**dev["cloudlab:docker"], "publishHost": publish_host},
        }

    def write_config(
        self,
        project: PulumiProject,
        dev_yaml: str | None = None,
        publish_host: str = "127.0.0.1",
    ) -> None:
        """Write ``Pulumi.<stack>.yaml`` in the project: ``dev_yaml`` (default: this tree's
        Pulumi.dev.yaml) with this twin's subnets and port; the stack's salt line is kept."""
        path = project.workdir / f"Pulumi.{self.stack}.yaml"
        kept = (
            [ln for ln in path.read_text().splitlines() if ln.startswith("encryptionsalt:")]
            if path.exists()
            else []
        )
        dev = yaml.safe_load(dev_yaml or (REPO / "Pulumi.dev.yaml").read_text())["config"]
        body = yaml.safe_dump({"config": self.config(dev, publish_host)}, sort_keys=False)
        path.write_text("\n".join([*kept, body]))

    def require_free(self, client: docker.DockerClient) -> None:
        """Fail the test when another stack's network holds one of this twin's subnets."""
        clash = networks_using(client, self.subnets, except_stack=self.stack)
        if clash:
            pytest.fail(f"networks {clash} already use {self.stack}'s subnets: remove them first")


ENGINE = TestTwin("enginetest", "192.168.231.0/24", "192.168.232.0/24", 50205)
ZERO_CHANGE = TestTwin("zerochange", "192.168.233.0/24", "192.168.234.0/24", 50305)
# Outside the 192.168.160-199 range tests/docker picks its spare subnets from.
GUARDRAILS = TestTwin(
    "guardrails", "192.168.241.0/24", "192.168.242.0/24", 50105, outside="192.168.243.0/24"
)
ALL = (ENGINE, ZERO_CHANGE, GUARDRAILS)


def overlaps(a: str, b: str) -> bool:
    return ipaddress.ip_network(a).overlaps(ipaddress.ip_network(b))
