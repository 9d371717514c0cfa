"""``dockerlab``: the Docker lab and its orchestration row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import model_validator

from components.calculator.settings import CalculatorSettings
from components.docker.settings import DockerSettings
from components.dockerlab.settings import DockerLabSettings
from components.settings import EnvironmentConfig, invalid


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
        """With `orchestration`, `cloudlab:calculator.topology` is `flat`."""
        if self.calculator is not None and self.calculator.topology != "flat":
            raise invalid(
                "the Docker lab's orchestration row is one network, not "
                f"{self.calculator.topology!r}",
                "flat (or cloudlab:dockerlab.orchestration: false)",
                "calculator.topology",
            )
        return self
