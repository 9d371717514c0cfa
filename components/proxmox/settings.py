"""Settings of the Proxmox container lab (docs/labs/proxmox.md), parsed and validated.

:class:`ProxmoxSettings` is the ``cloudlab:proxmox`` model; :func:`parse_proxmox_settings`
reads the raw config object into it, or raises :class:`ConfigError` naming the offending key
and what would be valid. The placement (which node each container lives on, and whether it runs) is
data here, so the autonomic manager can change it and let ``pulumi up`` converge.

Container ids follow the lab's ``XXYY`` scheme: ``XX`` is the group's base id, ``YY`` the
container number (01-99), so group 42's third container is ``4203`` and is named
``ct-tpgei-virt-<group>-ct03``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from components.errors import ConfigError
from components.settings import (
    BoolOrText,
    Choice,
    ConfigModel,
    Int,
    Kind,
    Text,
    derived,
    field_type,
    invalid,
    load_settings,
    required,
)

CONFIG_KEY = "cloudlab:proxmox"
DEFAULT_NODES = ("srv-px1", "srv-px2")
MIN_VMID = 100
MAX_VMID = 999_999_999
MAX_NUMBER = 99
OS_TYPES = (
    "alpine",
    "archlinux",
    "centos",
    "debian",
    "devuan",
    "fedora",
    "gentoo",
    "nixos",
    "opensuse",
    "ubuntu",
    "unmanaged",
)
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_SLOT = re.compile(r"^ct(\d{1,2})$")


def slot_key(number: int) -> str:
    """Placement key of container number ``number``: ``ct07``."""
    return f"ct{number:02d}"


@dataclass(frozen=True)
class Placement:
    """Where one container lives and whether it should run."""

    number: int
    """Container number ``YY`` (1-99)."""
    node: str
    """Proxmox node the container lives on."""
    started: bool = True
    """Whether the container should be running."""


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value.strip()):
        raise invalid(f"{value!r} is not a valid {what}", "lowercase letters, digits, '-'")
    return value.strip()


def _group(value: Any) -> str:
    group = _name(value, "group name")
    if len(f"ct-tpgei-virt-{group}-ct00") > 63:
        raise invalid(f"{group!r} makes hostnames too long", "<= 44 chars")
    return group


def _nodes(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise invalid(f"expected a list of node names, got {value!r}")
    nodes = []
    for i, item in enumerate(value):
        try:
            nodes.append(_name(item, "node name"))
        except PydanticCustomError as error:  # _name's, placed at its index
            ctx = error.context or {}
            raise invalid(ctx["problem"], ctx["valid"], f"[{i}]") from None
    if len(set(nodes)) != len(nodes):
        raise invalid(f"{nodes} names a node twice", "distinct names")
    return tuple(nodes)


def _keys(value: Any) -> tuple[str, ...]:
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, list | tuple) or not all(isinstance(k, str) and k for k in keys):
        raise invalid(f"expected a list of keys, got {value!r}")
    return tuple(keys)


class ProxmoxSettings(ConfigModel):
    """The container fleet of one group (``cloudlab:proxmox``). Defaults are the values the
    lab used."""

    object_hint: ClassVar[str | None] = None

    group: field_type("name: lowercase letters, digits, '-'; at most 44", _group) = required(
        "the group's name, e.g. g07"
    )
    """Group name, part of every hostname (``ct-tpgei-virt-<group>-ctYY``; required)."""
    base_id: Int(MIN_VMID // 100, MAX_VMID // 100, "a whole number") = required(
        "the group's base id XX, e.g. 42"
    )
    """``XX``: the group's base id; container ``YY`` gets the id ``XXYY`` (required)."""
    nodes: field_type("list of node names, distinct", _nodes) = DEFAULT_NODES
    """Nodes of the cluster, in order: the first gets two thirds of the new containers."""
    template: Text() = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
    """OS template volume (``<storage>:vztmpl/<file>``)."""
    os_type: Choice(OS_TYPES, "OS type", ", ") = "debian"
    """Distribution of the template, for Proxmox's setup scripts."""
    storage: field_type("storage id", lambda v: _name(v, "storage id")) = "local-lvm"
    """Storage holding each container's root filesystem."""
    bridge: Text() = "vmbr0"
    """Bridge of each container's only interface (addressed by DHCP)."""
    memory: Int(16, 1 << 20, "a whole number") = 512
    """Memory per container, MiB."""
    swap: Int(0, 1 << 20, "a whole number") = 0
    """Swap per container, MiB."""
    disk: Int(1, 1 << 16, "a whole number") = 4
    """Root filesystem size per container, GB."""
    cores: Int(1, 512, "a whole number") = 1
    """CPU cores per container."""
    unprivileged: BoolOrText = True
    """Run the containers unprivileged."""
    ssh_public_keys: field_type("list of public keys", _keys) = ()
    """Public keys authorised for root in every container."""
    placement: Annotated[tuple[Placement, ...], Kind("object {ctNN: node, or {node, started}}")] = (
        derived((), "`{}`: no container")
    )
    """The containers that should exist, by slot: ``{ct01: srv-px1, ct02: {node: srv-px2,
    started: false}}``; each on one of ``nodes``."""

    @field_validator("placement", mode="plain")
    @classmethod
    def _placement(cls, value: Any, info: ValidationInfo) -> tuple[Placement, ...]:
        nodes = info.data.get("nodes")
        if nodes is None:  # nodes itself is invalid, and reported
            nodes = ()
        if not isinstance(value, Mapping):
            raise invalid(f"expected an object, got {value!r}", "{ct01: srv-px1, ...}")
        found: dict[int, Placement] = {}
        for slot, where in value.items():
            match = _SLOT.match(str(slot))
            number = int(match.group(1)) if match else 0
            if not 1 <= number <= MAX_NUMBER:
                raise invalid("not a container slot", "ct01 to ct99", f"{slot}")
            if number in found:
                raise invalid(f"container {number} is placed twice", at=f"{slot}")
            started: Any = True
            node_at = f"{slot}"
            if isinstance(where, Mapping):
                unknown = sorted(set(where) - {"node", "started"})
                if unknown:
                    raise invalid("unknown setting", "node, started", f"{slot}.{unknown[0]}")
                started = where.get("started", True)
                if isinstance(started, str) and started.lower() in ("true", "false"):
                    started = started.lower() == "true"  # `pulumi config set --path` writes text
                if not isinstance(started, bool):
                    raise invalid(f"expected true or false: {started!r}", at=f"{slot}.started")
                node_at = f"{slot}.node"
                where = where.get("node")
            if where not in nodes:
                raise invalid(f"unknown node {where!r}", ", ".join(nodes), node_at)
            found[number] = Placement(number, where, started)
        return tuple(found[n] for n in sorted(found))

    def vmid(self, number: int) -> int:
        """The ``XXYY`` id of container ``number``."""
        return self.base_id * 100 + number

    def hostname(self, number: int) -> str:
        """The lab's hostname of container ``number``."""
        return f"ct-tpgei-virt-{self.group}-ct{number:02d}"

    def number_of(self, vmid: int) -> int | None:
        """The container number of ``vmid`` if it is one of this group's ids, else ``None``."""
        base, number = divmod(vmid, 100)
        return number if base == self.base_id and 1 <= number <= MAX_NUMBER else None


def parse_proxmox_settings(raw: Mapping[str, Any] | None) -> ProxmoxSettings:
    """Validate the raw ``cloudlab:proxmox`` object; optional keys take the lab's values.

    Raises :class:`ConfigError` naming the full key of the first problem found.
    """
    if raw is None:
        raise ConfigError(CONFIG_KEY, "missing", "an object with at least group and baseId")
    return load_settings(ProxmoxSettings, raw, CONFIG_KEY)
