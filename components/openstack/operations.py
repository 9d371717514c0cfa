"""VM operations of the labs as stack config (``cloudlab:vmOperations``), validated.

```yaml
cloudlab:vmOperations:
  flavorSizes: {nano: {vcpus: 1, ramMb: 512}, ...}   # to tell a shrinking resize
  snapshots:                # image name -> the lab VM it is taken of
    calculator-snapshot: calculator
  restored:                 # new VM -> the snapshot it boots from (same network and groups)
    calculator-copy: calculator-snapshot
  openstackCloud: insa      # OS_CLOUD for the openstack client that takes snapshots
```

Resize needs no entry: change ``cloudlab:calculator.flavor`` and ``pulumi up`` resizes the VMs in
place, warning first when the new flavor is smaller than the one deployed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.errors import ConfigError
from components.openstack.vm import FlavorSize, parse_flavor_sizes
from components.validation import non_empty_string, object_with_keys

CONFIG_KEY = "cloudlab:vmOperations"
_KEYS = ("flavorSizes", "snapshots", "restored", "openstackCloud")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_NAME_HINT = "letters, digits, . _ - (at most 63)"


@dataclass(frozen=True)
class VmOperations:
    """Snapshots and VMs booted from them, plus the flavor table a resize is judged by."""

    flavor_sizes: Mapping[str, FlavorSize] = field(default_factory=lambda: parse_flavor_sizes(None))
    """Sizes of the cloud's flavors."""
    snapshots: Mapping[str, str] = field(default_factory=dict)
    """Snapshot image name -> the lab VM it is taken of."""
    restored: Mapping[str, str] = field(default_factory=dict)
    """New VM name -> the snapshot image it boots from."""
    openstack_cloud: str | None = None
    """``OS_CLOUD`` for the ``openstack`` client; ``None`` keeps the caller's environment."""


def _names(raw: Any, key: str, valid_values: Collection[str], what: str) -> dict[str, str]:
    entries = object_with_keys({} if raw is None else raw, key, raw or {})
    found: dict[str, str] = {}
    for name, value in entries.items():
        item = f"{key}.{name}"
        non_empty_string(name, item, _NAME, _NAME_HINT)
        if value not in valid_values:
            raise ConfigError(item, f"{value!r} is not {what}", ", ".join(valid_values) or "none")
        found[str(name)] = str(value)
    return found


def parse_vm_operations(raw: Mapping[str, Any] | None, vms: Collection[str]) -> VmOperations:
    """Validate ``cloudlab:vmOperations`` against the lab's VM names (``vms``)."""
    raw = object_with_keys({} if raw is None else raw, CONFIG_KEY, _KEYS)
    snapshots = _names(raw.get("snapshots"), f"{CONFIG_KEY}.snapshots", list(vms), "a lab VM")
    restored = _names(
        raw.get("restored"), f"{CONFIG_KEY}.restored", list(snapshots), "a snapshot of this stack"
    )
    clash = sorted(set(restored) & set(vms))
    if clash:
        raise ConfigError(
            f"{CONFIG_KEY}.restored.{clash[0]}", "is already a lab VM", "a new VM name"
        )
    cloud = raw.get("openstackCloud")
    return VmOperations(
        flavor_sizes=parse_flavor_sizes(raw.get("flavorSizes")),
        snapshots=snapshots,
        restored=restored,
        openstack_cloud=None
        if cloud is None
        else non_empty_string(cloud, f"{CONFIG_KEY}.openstackCloud"),
    )
