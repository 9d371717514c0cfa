"""The Docker lab (docs/labs/docker.md): ct1, ct2, its snapshot, ct3, and the orchestration row.

The orchestration row is the calculator twin's ``flat`` topology (five containers from one
image on one user-defined network with fixed addresses, the calculator published), configured
with the lab's values in ``Pulumi.dockerlab.yaml`` (15.0.2.0/24, ``800 -> 80``).
"""

from __future__ import annotations

import pulumi

from components.calculator.docker_twin import CalculatorTwin, CalculatorTwinArgs
from components.config import load_config
from components.config.dockerlab import DockerLabConfig
from components.dockerlab import DockerLab, DockerLabArgs


def run(config: pulumi.Config) -> None:
    """Read ``cloudlab:dockerlab`` (and, for the orchestration row, ``cloudlab:calculator``
    and ``cloudlab:docker``) before registering anything, then build the lab and export it."""
    cfg = load_config(DockerLabConfig, config)
    lab_settings, calculator, docker = cfg.dockerlab, cfg.calculator, cfg.docker

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
