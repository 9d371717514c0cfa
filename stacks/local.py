"""The default stack: a Docker twin of the calculator lab on this machine (``make up``)."""

from __future__ import annotations

import pulumi

from components.calculator.settings import parse_calculator_settings
from components.docker.calculator_twin import CalculatorTwin, CalculatorTwinArgs
from components.docker.settings import parse_docker_settings


def run(config: pulumi.Config) -> None:
    """Validate ``cloudlab:calculator`` and ``cloudlab:docker``, build the twin, export it."""
    settings = parse_calculator_settings(config.get_object("calculator"))
    docker = parse_docker_settings(config.get_object("docker"))
    twin = CalculatorTwin(
        "calc", CalculatorTwinArgs(settings=settings, docker=docker, stack=pulumi.get_stack())
    )
    pulumi.export("calculatorUrl", twin.calculator_url)
    pulumi.export("floatingIp", twin.floating_ip)
    pulumi.export("privateIps", twin.private_ips)
    pulumi.export("topology", settings.topology)
