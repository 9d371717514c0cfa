"""The default stack: a Docker twin of the calculator lab on this machine (``make up``)."""

from __future__ import annotations

import pulumi

from components.calculator.docker_twin import CalculatorTwin, CalculatorTwinArgs
from components.config import load_config
from components.config.local import LocalConfig


def run(config: pulumi.Config) -> None:
    """Read ``cloudlab:calculator`` and ``cloudlab:docker``, build the twin, export it."""
    cfg = load_config(LocalConfig, config)
    for warning in cfg.warnings():
        pulumi.log.warn(warning)
    settings = cfg.calculator
    twin = CalculatorTwin(
        "calc", CalculatorTwinArgs(settings=settings, docker=cfg.docker, stack=pulumi.get_stack())
    )
    pulumi.export("calculatorUrl", twin.calculator_url)
    pulumi.export("floatingIp", twin.floating_ip)
    pulumi.export("privateIps", twin.private_ips)
    pulumi.export("topology", settings.topology)
