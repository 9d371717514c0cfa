"""``local`` (stack ``dev``): the calculator twin's config model."""

from __future__ import annotations

from components.calculator.settings import CalculatorSettings
from components.docker.settings import DockerSettings
from components.settings import EnvironmentConfig


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
