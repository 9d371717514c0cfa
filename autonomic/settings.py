"""Thresholds and timings of the manager (``cloudlab:autonomic``), and loading a stack file.

The manager reads the same ``Pulumi.<stack>.yaml`` as the Proxmox stack: ``cloudlab:proxmox``
(group, base id, nodes, sizes, placement) and ``cloudlab:autonomic`` (this module).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.errors import ConfigError
from components.proxmox.settings import ProxmoxSettings, parse_proxmox_settings

CONFIG_KEY = "cloudlab:autonomic"


@dataclass(frozen=True)
class AutonomicSettings:
    """Thresholds are fractions of a node's memory; times are seconds."""

    creation_limit: float = 0.16
    """The generator creates while the cluster's memory use is strictly below this."""
    migration_threshold: float = 0.30
    """A node at or above this moves one container to another node."""
    dropping_threshold: float = 0.40
    """A node at or above this stops its oldest containers until it is below."""
    interval: float = 30.0
    """Pause between two rounds of the loop."""
    poll_interval: float = 1.0
    """Pause between two polls of a Proxmox task."""
    task_timeout: float = 180.0
    """How long a Proxmox task may run before it counts as failed."""
    attempts: int = 3
    """Tries of a request or task that fails transiently (1 = no retry)."""
    backoff: float = 2.0
    """Pause before the second try; doubled after each further failure."""
    request_timeout: float = 10.0
    """HTTP timeout of one API request."""


_FIELDS = {
    "creationLimit": "creation_limit",
    "migrationThreshold": "migration_threshold",
    "droppingThreshold": "dropping_threshold",
    "interval": "interval",
    "pollInterval": "poll_interval",
    "taskTimeout": "task_timeout",
    "attempts": "attempts",
    "backoff": "backoff",
    "requestTimeout": "request_timeout",
}
_FRACTIONS = ("creationLimit", "migrationThreshold", "droppingThreshold")


def _number(value: Any, key: str, valid: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(key, f"expected a number, got {value!r}", valid)
    return float(value)


def parse_autonomic_settings(raw: Mapping[str, Any] | None) -> AutonomicSettings:
    """Validate ``cloudlab:autonomic``; thresholds must rise: creation < migration < dropping."""
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise ConfigError(CONFIG_KEY, f"expected an object, got {raw!r}", ", ".join(_FIELDS))
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"{CONFIG_KEY}.{unknown[0]}", "unknown setting", ", ".join(_FIELDS))
    d = AutonomicSettings()
    values: dict[str, Any] = {}
    for name, attr in _FIELDS.items():
        key = f"{CONFIG_KEY}.{name}"
        if name not in raw:
            values[attr] = getattr(d, attr)
        elif name == "attempts":
            n = raw[name]
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10:
                raise ConfigError(key, f"expected a whole number, got {n!r}", "1-10")
            values[attr] = n
        elif name in _FRACTIONS:
            x = _number(raw[name], key, "a fraction of memory, e.g. 0.16 for 16%")
            if not 0 < x < 1:
                raise ConfigError(key, f"{x} is not a fraction of memory", "0 < x < 1")
            values[attr] = x
        else:
            x = _number(raw[name], key, "seconds > 0")
            if x <= 0 and name != "backoff":
                raise ConfigError(key, f"{x} must be positive", "seconds > 0")
            if x < 0:
                raise ConfigError(key, f"{x} is negative", "seconds >= 0")
            values[attr] = x
    s = AutonomicSettings(**values)
    if not s.creation_limit < s.migration_threshold:
        raise ConfigError(
            f"{CONFIG_KEY}.migrationThreshold",
            f"{s.migration_threshold} is not above creationLimit {s.creation_limit}",
            "creationLimit < migrationThreshold < droppingThreshold",
        )
    if not s.migration_threshold < s.dropping_threshold:
        raise ConfigError(
            f"{CONFIG_KEY}.droppingThreshold",
            f"{s.dropping_threshold} is not above migrationThreshold {s.migration_threshold}",
            "creationLimit < migrationThreshold < droppingThreshold",
        )
    return s


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
