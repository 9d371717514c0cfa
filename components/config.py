"""The config of each environment: one model per stack, whose fields are the ``cloudlab:``
keys it reads (each one a lab's settings model), with the rules that span keys.

A stack calls :func:`load_config` with its model first, so it registers nothing unless the
whole config is valid, and validates nothing itself. ``python -m components.config_reference``
writes the README's configuration reference from these models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import model_validator

from components.calculator.settings import CalculatorSettings
from components.docker.settings import DockerSettings
from components.dockerlab.settings import DockerLabSettings
from components.settings import EnvironmentConfig, invalid, load_config

__all__ = [
    "DockerLabConfig",
    "LocalConfig",
    "load_config",
]


class LocalConfig(EnvironmentConfig):
    """``local`` (the default, stack ``dev``): the calculator lab's Docker twin."""

    calculator: CalculatorSettings = CalculatorSettings()
    """The calculator lab; its OpenStack-only settings have no effect here (a warning)."""
    docker: DockerSettings = DockerSettings()
    """The local Docker environment."""

    def warnings(self) -> list[str]:
        """What the stack warns about: settings with no effect here, a public calculator."""
        found = []
        ignored = self.calculator.openstack_only_keys()
        if ignored:
            found.append(
                f"{', '.join(ignored)}: OpenStack only, no effect on the local twin (it "
                "publishes the calculator on cloudlab:docker.publishHost)"
            )
        exposed = self.docker.exposure_warning()
        if exposed:
            found.append(exposed)
        return found


class DockerLabConfig(EnvironmentConfig):
    """``dockerlab``: the Docker lab, and its orchestration row (the calculator twin, flat)."""

    dockerlab: DockerLabSettings = DockerLabSettings()
    """The Docker lab."""
    calculator: CalculatorSettings | None = None
    """The orchestration row's calculator (``flat`` only); ignored without orchestration."""
    docker: DockerSettings | None = None
    """The orchestration row's Docker environment; ignored without orchestration."""

    @model_validator(mode="before")
    @classmethod
    def _orchestration_reads_the_calculator(cls, raw: Any) -> Any:
        if not isinstance(raw, Mapping):
            return raw
        lab = raw.get("dockerlab")
        if isinstance(lab, Mapping) and lab.get("orchestration", True) is False:
            return {k: v for k, v in raw.items() if k not in ("calculator", "docker")}
        return {"calculator": {}, "docker": {}, **raw}

    @model_validator(mode="after")
    def _orchestration_is_one_network(self) -> DockerLabConfig:
        if self.calculator is not None and self.calculator.topology != "flat":
            raise invalid(
                "the Docker lab's orchestration row is one network, not "
                f"{self.calculator.topology!r}",
                "flat (or cloudlab:dockerlab.orchestration: false)",
                "calculator.topology",
            )
        return self
