"""The calculator lab on a real OpenStack cloud (LABS.md section 2)."""

from __future__ import annotations

import pulumi

from components.calculator.settings import parse_calculator_settings
from components.openstack.calculator_lab import CalculatorLab


def run(config: pulumi.Config) -> None:
    """Validate ``cloudlab:calculator``, build the lab, export how to reach it."""
    settings = parse_calculator_settings(config.get_object("calculator"))
    lab = CalculatorLab("calc", settings)
    pulumi.export("calculatorUrl", lab.calculator_url)
    pulumi.export("floatingIp", lab.floating_ip)
    pulumi.export("privateIps", lab.private_ips)
    pulumi.export("topology", settings.topology)
