"""Thresholds and timings of the manager (``cloudlab:autonomic``), and loading a stack file.

The manager reads the same ``Pulumi.<stack>.yaml`` as the Proxmox stack: ``cloudlab:proxmox``
(group, base id, nodes, sizes, placement) and ``cloudlab:autonomic`` (this module).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import model_validator

from components.errors import ConfigError
from components.proxmox.settings import ProxmoxSettings, parse_proxmox_settings
from components.settings import ConfigModel, Int, field_type, invalid, load_settings

CONFIG_KEY = "cloudlab:autonomic"
_FRACTION_HINT = "a fraction of memory, e.g. 0.16 for 16%"


def _number(value: Any, valid: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(f"expected a number, got {value!r}", valid)
    return float(value)


def _fraction(value: Any) -> float:
    x = _number(value, _FRACTION_HINT)
    if not 0 < x < 1:
        raise invalid(f"{x} is not a fraction of memory", "0 < x < 1")
    return x


def _seconds(value: Any) -> float:
    x = _number(value, "seconds > 0")
    if x <= 0:
        raise invalid(f"{x} must be positive", "seconds > 0")
    return x


def _pause(value: Any) -> float:
    x = _number(value, "seconds > 0")
    if x < 0:
        raise invalid(f"{x} is negative", "seconds >= 0")
    return x


Fraction = field_type("number, 0 < x < 1", _fraction)
Seconds = field_type("seconds > 0", _seconds)


class AutonomicSettings(ConfigModel):
    """Thresholds and timings of the autonomic manager (``cloudlab:autonomic``). Thresholds
    are fractions of a node's memory; times are seconds."""

    creation_limit: Fraction = 0.16
    """The generator creates while the cluster's memory use is strictly below this."""
    migration_threshold: Fraction = 0.30
    """A node at or above this moves one container to another node."""
    dropping_threshold: Fraction = 0.40
    """A node at or above this stops its oldest containers until it is below."""
    interval: Seconds = 30.0
    """Pause between two rounds of the loop."""
    poll_interval: Seconds = 1.0
    """Pause between two polls of a Proxmox task."""
    task_timeout: Seconds = 180.0
    """How long a Proxmox task may run before it counts as failed."""
    attempts: Int(1, 10, "a whole number", accept_text=False) = 3
    """Tries of a request or task that fails transiently (1 = no retry)."""
    backoff: field_type("seconds >= 0", _pause) = 2.0
    """Pause before the second try; doubled after each further failure."""
    request_timeout: Seconds = 10.0
    """HTTP timeout of one API request."""

    @model_validator(mode="after")
    def _thresholds_rise(self) -> AutonomicSettings:
        """`creationLimit` < `migrationThreshold` < `droppingThreshold`."""
        rising = "creationLimit < migrationThreshold < droppingThreshold"
        if not self.creation_limit < self.migration_threshold:
            raise invalid(
                f"{self.migration_threshold} is not above creationLimit {self.creation_limit}",
                rising,
                "migrationThreshold",
            )
        if not self.migration_threshold < self.dropping_threshold:
            raise invalid(
                f"{self.dropping_threshold} is not above migrationThreshold "
                f"{self.migration_threshold}",
                rising,
                "droppingThreshold",
            )
        return self


def parse_autonomic_settings(raw: Mapping[str, Any] | None) -> AutonomicSettings:
    """Validate ``cloudlab:autonomic``; thresholds must rise: creation < migration < dropping."""
    return load_settings(AutonomicSettings, raw, CONFIG_KEY)


def load_stack_file(path: str | Path) -> tuple[ProxmoxSettings, AutonomicSettings]:
    """Both settings from a ``Pulumi.<stack>.yaml`` (plain values; nothing here is secret)."""
    try:
        document = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(str(path), f"cannot read the stack file: {error}") from error
    config = document.get("config", {}) if isinstance(document, Mapping) else None
    if not isinstance(config, Mapping):
        raise ConfigError(f"{path}: config", "expected an object of stack settings")
    return (
        parse_proxmox_settings(config.get("cloudlab:proxmox")),
        parse_autonomic_settings(config.get("cloudlab:autonomic")),
    )
