"""The Docker lab (LABS.md section 4): ct1, ct2, its snapshot, ct3, and the orchestration row.

The orchestration row is the calculator twin's ``flat`` topology (five containers from one
image on one user-defined network with fixed addresses, the calculator published), configured
with the lab's values in ``Pulumi.dockerlab.yaml`` (15.0.2.0/24, ``800 -> 80``).
"""

from __future__ import annotations

import pulumi

from components.calculator.docker_twin import (
    CalculatorTwin,
    CalculatorTwinArgs,
    plan_addresses,
)
from components.calculator.settings import CONFIG_KEY as CALCULATOR_KEY
from components.calculator.settings import parse_calculator_settings
from components.docker.settings import parse_docker_settings
from components.dockerlab import DockerLab, DockerLabArgs, parse_dockerlab_settings
from components.errors import ConfigError


def run(config: pulumi.Config) -> None:
    """Validate ``cloudlab:dockerlab`` (and, for the orchestration row, ``cloudlab:calculator``
    and ``cloudlab:docker``) before registering anything, then build the lab and export it."""
    lab_settings = parse_dockerlab_settings(config.get_object("dockerlab"))
    calculator = docker = None
    if lab_settings.orchestration:
        calculator = parse_calculator_settings(config.get_object("calculator"))
        if calculator.topology != "flat":
            raise ConfigError(
                f"{CALCULATOR_KEY}.topology",
                f"the Docker lab's orchestration row is one network, not {calculator.topology!r}",
                "flat (or cloudlab:dockerlab.orchestration: false)",
            )
        docker = parse_docker_settings(config.get_object("docker"))
        plan_addresses(calculator)  # a twin that does not fit fails before the lab is built

    stack = pulumi.get_stack()
    lab = DockerLab("lab", DockerLabArgs(settings=lab_settings, stack=stack))
    pulumi.export("containers", ["ct1", "ct2", "ct3"])
    pulumi.export("snapshotImage", lab.snapshot_ref)
    pulumi.export("sshEndpoint", lab.ssh_endpoint)

    if calculator is not None and docker is not None:
        twin = CalculatorTwin(
            "calc", CalculatorTwinArgs(settings=calculator, docker=docker, stack=stack)
        )
        pulumi.export("calculatorUrl", twin.calculator_url)
        pulumi.export("privateIps", twin.private_ips)
