"""The default stack: a Docker twin of the calculator lab on this machine (``make up``)."""

from __future__ import annotations

import ipaddress

import pulumi

from components.calculator.docker_twin import CalculatorTwin, CalculatorTwinArgs
from components.calculator.settings import CONFIG_KEY, parse_calculator_settings
from components.docker.settings import parse_docker_settings

CLOUD_ONLY = {
    "image": "image",
    "flavor": "flavor",
    "keyPair": "key_pair",
    "externalNetwork": "external_network",
    "allowedCidrs": "allowed_cidrs",
    "sshAllowedCidrs": "ssh_allowed_cidrs",
}
"""Settings that only mean something on OpenStack (VMs, security groups, floating IPs)."""


def run(config: pulumi.Config) -> None:
    """Validate ``cloudlab:calculator`` and ``cloudlab:docker``, build the twin, export it."""
    raw = config.get_object("calculator") or {}
    settings = parse_calculator_settings(raw)
    docker = parse_docker_settings(config.get_object("docker"))
    ignored = sorted(key for key in CLOUD_ONLY if key in raw)
    if ignored:
        pulumi.log.warn(
            f"{', '.join(f'{CONFIG_KEY}.{k}' for k in ignored)}: OpenStack only, no effect on "
            "the local twin (it publishes the calculator on cloudlab:docker.publishHost)"
        )
    if not ipaddress.ip_address(docker.publish_host).is_loopback:
        pulumi.log.warn(
            f"cloudlab:docker.publishHost {docker.publish_host}: the calculator is reachable "
            "from other machines, not only from this one (127.0.0.1 keeps it local)"
        )
    twin = CalculatorTwin(
        "calc", CalculatorTwinArgs(settings=settings, docker=docker, stack=pulumi.get_stack())
    )
    pulumi.export("calculatorUrl", twin.calculator_url)
    pulumi.export("floatingIp", twin.floating_ip)
    pulumi.export("privateIps", twin.private_ips)
    pulumi.export("topology", settings.topology)
