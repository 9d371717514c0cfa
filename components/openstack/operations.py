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
from typing import Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from components.errors import ConfigError
from components.openstack.vm import FLAVOR_SIZES_KEY, FlavorSize, parse_flavor_sizes
from components.settings import (
    ConfigModel,
    Text,
    check_text,
    field_type,
    invalid,
)

CONFIG_KEY = "cloudlab:vmOperations"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_NAME_HINT = "letters, digits, . _ - (at most 63)"


def _flavor_sizes(value: Any) -> dict[str, FlavorSize]:
    try:
        return parse_flavor_sizes(value)
    except ConfigError as error:  # its key is the full one: keep the part below flavorSizes
        at = error.key.removeprefix(FLAVOR_SIZES_KEY).lstrip(".") or None
        raise invalid(error.problem, error.valid, at) from None


def _names(value: Any) -> dict[str, str]:
    """``{name: value}``, each name usable as an image or VM name (values checked later)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise invalid(f"expected an object, got {value!r}")
    found: dict[str, str] = {}
    for name, item in value.items():
        try:
            check_text(name, _NAME, _NAME_HINT)
        except PydanticCustomError as error:  # check_text's own, placed at the entry
            ctx = error.context or {}
            raise invalid(ctx["problem"], ctx["valid"], f"{name}") from None
        found[str(name)] = item  # which VM or snapshot it names is checked by the model
    return found


Names = field_type("object {name: name}", _names)


class VmOperations(ConfigModel):
    """Snapshots and VMs booted from them, plus the flavor table a resize is judged by
    (``cloudlab:vmOperations``)."""

    flavor_sizes: field_type("object {flavor: {vcpus, ramMb, diskGb?}}", _flavor_sizes) = Field(
        default_factory=lambda: parse_flavor_sizes(None)
    )
    """Sizes of the cloud's flavors (``openstack flavor list``), to tell a shrinking resize;
    default: the labs' flavors at OpenStack's classic sizes."""
    snapshots: Names = Field(default_factory=dict)
    """Snapshot image name -> the lab VM it is taken of."""
    restored: Names = Field(default_factory=dict)
    """New VM name -> the snapshot image (of ``snapshots``) it boots from, on the same network
    and security groups."""
    openstack_cloud: Text(optional=True) = None
    """``OS_CLOUD`` for the ``openstack`` client that takes snapshots; unset keeps the
    caller's environment."""

    @model_validator(mode="after")
    def _restored_from_known_snapshots(self) -> VmOperations:
        """Each restored VM boots from one of `snapshots`."""
        for name, image in self.restored.items():
            if image not in self.snapshots:
                raise invalid(
                    f"{image!r} is not a snapshot of this stack",
                    ", ".join(self.snapshots) or "none",
                    f"restored.{name}",
                )
        return self

    def check_vms(self, vms: Collection[str], at: str = "") -> None:
        """The snapshots are taken of the lab's VMs (``vms``) and the restored VMs are new
        ones; ``at`` is where this object sits in the model that checks it."""
        for name, vm in self.snapshots.items():
            if vm not in vms:
                raise invalid(
                    f"{vm!r} is not a lab VM", ", ".join(vms) or "none", f"{at}snapshots.{name}"
                )
        clash = sorted(set(self.restored) & set(vms))
        if clash:
            raise invalid("is already a lab VM", "a new VM name", f"{at}restored.{clash[0]}")
