"""A group's quotas: the lab's footprint (the quota pre-flight's own computation) with a margin.

The footprint is :func:`components.calculator.openstack_lab.calculator_footprint`, the same
numbers the ``openstack`` stack checks before its first resource, so a group's lab always passes
its own pre-flight on the project the classroom made for it.
"""

from __future__ import annotations

import math

from components.calculator.openstack_lab import calculator_footprint
from components.calculator.settings import CalculatorSettings
from components.openstack.quota import Footprint

PROJECT_BASELINE = Footprint(security_groups=1, security_group_rules=4)
"""What every new project holds before a lab: Neutron's ``default`` security group and its
four rules (ingress from itself and egress, IPv4 and IPv6)."""


def sized(footprint: Footprint, margin: float) -> Footprint:
    """A project's quotas for a lab of ``footprint``: the footprint times ``margin``, rounded
    up, plus :data:`PROJECT_BASELINE`."""
    values = {
        name: math.ceil(round(value * margin, 6)) + getattr(PROJECT_BASELINE, name)
        for name, value in footprint.as_output().items()
    }
    return Footprint(**values)


def group_quotas(settings: CalculatorSettings, vcpus: int, ram_mb: int, margin: float) -> Footprint:
    """The quotas of a project for the lab ``settings`` on a flavor of ``vcpus`` and ``ram_mb``."""
    return sized(calculator_footprint(settings, vcpus, ram_mb), margin)
