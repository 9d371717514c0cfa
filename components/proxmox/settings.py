"""Settings of the Proxmox container lab (LABS.md section 6), parsed and validated.

:func:`parse_proxmox_settings` turns the raw ``cloudlab:proxmox`` config object into a
:class:`ProxmoxSettings`, or raises :class:`ConfigError` naming the offending key and what
would be valid. The placement (which node each container lives on, and whether it runs) is
data here, so the autonomic manager can change it and let ``pulumi up`` converge.

Container ids follow the lab's ``XXYY`` scheme: ``XX`` is the group's base id, ``YY`` the
container number (01-99), so group 42's third container is ``4203`` and is named
``ct-tpgei-virt-<group>-ct03``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.errors import ConfigError
from components.validation import int_in_range, non_empty_string, object_with_keys

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


@dataclass(frozen=True)
class ProxmoxSettings:
    """The container fleet of one group, validated. Defaults are the values the lab used."""

    group: str
    """Group name, part of every hostname (``ct-tpgei-virt-<group>-ctYY``)."""
    base_id: int
    """``XX``: the group's base id; container ``YY`` gets the id ``XXYY``."""
    nodes: tuple[str, ...] = DEFAULT_NODES
    """Nodes of the cluster, in order: the first gets two thirds of the new containers."""
    template: str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
    """OS template volume (``<storage>:vztmpl/<file>``)."""
    os_type: str = "debian"
    """Distribution of the template, for Proxmox's setup scripts."""
    storage: str = "local-lvm"
    """Storage holding each container's root filesystem."""
    bridge: str = "vmbr0"
    """Bridge of each container's only interface (addressed by DHCP)."""
    memory: int = 512
    """Memory per container, MiB."""
    swap: int = 0
    """Swap per container, MiB."""
    disk: int = 4
    """Root filesystem size per container, GB."""
    cores: int = 1
    """CPU cores per container."""
    unprivileged: bool = True
    """Run the containers unprivileged."""
    ssh_public_keys: tuple[str, ...] = ()
    """Public keys authorised for root in every container."""
    placement: tuple[Placement, ...] = field(default_factory=tuple)
    """The containers that should exist, by number."""

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


_KEYS = (
    "group",
    "baseId",
    "nodes",
    "template",
    "osType",
    "storage",
    "bridge",
    "memory",
    "swap",
    "disk",
    "cores",
    "unprivileged",
    "sshPublicKeys",
    "placement",
)


def _key(name: str) -> str:
    return f"{CONFIG_KEY}.{name}"


def _name(value: Any, key: str, what: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value.strip()):
        raise ConfigError(key, f"{value!r} is not a valid {what}", "lowercase letters, digits, '-'")
    return value.strip()


def _int(raw: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    return int_in_range(raw.get(name, default), _key(name), low, high, "a whole number")


def _bool(raw: Mapping[str, Any], name: str, default: bool) -> bool:
    value = raw.get(name, default)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        value = value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise ConfigError(_key(name), f"expected true or false, got {value!r}")
    return value


def _nodes(raw: Mapping[str, Any]) -> tuple[str, ...]:
    value = raw.get("nodes", list(DEFAULT_NODES))
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError(_key("nodes"), f"expected a list of node names, got {value!r}")
    nodes = tuple(_name(n, f"{_key('nodes')}[{i}]", "node name") for i, n in enumerate(value))
    if len(set(nodes)) != len(nodes):
        raise ConfigError(_key("nodes"), f"{list(nodes)} names a node twice", "distinct names")
    return nodes


def _placement(raw: Mapping[str, Any], nodes: tuple[str, ...]) -> tuple[Placement, ...]:
    value = raw.get("placement", {})
    key = _key("placement")
    if not isinstance(value, Mapping):
        raise ConfigError(key, f"expected an object, got {value!r}", "{ct01: srv-px1, ...}")
    found: dict[int, Placement] = {}
    for slot, where in value.items():
        match = _SLOT.match(str(slot))
        number = int(match.group(1)) if match else 0
        if not 1 <= number <= MAX_NUMBER:
            raise ConfigError(f"{key}.{slot}", "not a container slot", "ct01 to ct99")
        if number in found:
            raise ConfigError(f"{key}.{slot}", f"container {number} is placed twice")
        slot_path = f"{key}.{slot}"
        started: Any = True
        if isinstance(where, Mapping):
            object_with_keys(where, slot_path, ("node", "started"))
            started = where.get("started", True)
            if isinstance(started, str) and started.lower() in ("true", "false"):
                started = started.lower() == "true"  # `pulumi config set --path` writes text
            if not isinstance(started, bool):
                raise ConfigError(f"{slot_path}.started", f"expected true or false: {started!r}")
            node_path = f"{slot_path}.node"
            where = where.get("node")
        else:
            node_path = slot_path
        if where not in nodes:
            raise ConfigError(node_path, f"unknown node {where!r}", ", ".join(nodes))
        found[number] = Placement(number, where, started)
    return tuple(found[n] for n in sorted(found))


def parse_proxmox_settings(raw: Mapping[str, Any] | None) -> ProxmoxSettings:
    """Validate the raw ``cloudlab:proxmox`` object; optional keys take the lab's values.

    Raises :class:`ConfigError` on the first problem found, naming the full key.
    """
    if raw is None:
        raise ConfigError(CONFIG_KEY, "missing", "an object with at least group and baseId")
    raw = object_with_keys(raw, CONFIG_KEY, _KEYS)
    if "group" not in raw:
        raise ConfigError(_key("group"), "missing", "the group's name, e.g. g07")
    if "baseId" not in raw:
        raise ConfigError(_key("baseId"), "missing", "the group's base id XX, e.g. 42")
    d = ProxmoxSettings(group="x", base_id=1)

    group = _name(raw["group"], _key("group"), "group name")
    if len(f"ct-tpgei-virt-{group}-ct00") > 63:
        raise ConfigError(_key("group"), f"{group!r} makes hostnames too long", "<= 44 chars")
    base_id = _int(raw, "baseId", 0, MIN_VMID // 100, MAX_VMID // 100)
    os_type = raw.get("osType", d.os_type)
    if os_type not in OS_TYPES:
        raise ConfigError(_key("osType"), f"unknown OS type {os_type!r}", ", ".join(OS_TYPES))
    keys = raw.get("sshPublicKeys", [])
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, list | tuple) or not all(isinstance(k, str) and k for k in keys):
        raise ConfigError(_key("sshPublicKeys"), f"expected a list of keys, got {keys!r}")
    nodes = _nodes(raw)
    return ProxmoxSettings(
        group=group,
        base_id=base_id,
        nodes=nodes,
        template=non_empty_string(raw.get("template", d.template), _key("template")),
        os_type=os_type,
        storage=_name(raw.get("storage", d.storage), _key("storage"), "storage id"),
        bridge=non_empty_string(raw.get("bridge", d.bridge), _key("bridge")),
        memory=_int(raw, "memory", d.memory, 16, 1 << 20),
        swap=_int(raw, "swap", d.swap, 0, 1 << 20),
        disk=_int(raw, "disk", d.disk, 1, 1 << 16),
        cores=_int(raw, "cores", d.cores, 1, 512),
        unprivileged=_bool(raw, "unprivileged", d.unprivileged),
        ssh_public_keys=tuple(keys),
        placement=_placement(raw, nodes),
    )
