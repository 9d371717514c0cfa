"""Settings of the VirtualBox lab (``cloudlab:virtualbox``, LABS.md section 5), validated."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.errors import ConfigError
from components.validation import int_in_range, ipv4_address, object_with_keys

CONFIG_KEY = "cloudlab:virtualbox"
APPLIANCE_SUFFIXES = (".ova", ".ovf")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]*$")
"""VM names, storage controller and rule names: no commas (the ``--natpf1`` syntax) nor
quotes or slashes."""


@dataclass(frozen=True)
class PortForward:
    """A NAT port-forwarding rule ``name,protocol,host_ip,host_port,,guest_port``."""

    name: str = "ssh"
    protocol: str = "tcp"
    host_ip: str = "127.0.0.1"
    """Empty: every host address (the neighbours can connect); 127.0.0.1: this machine only."""
    host_port: int = 2222
    guest_port: int = 22

    @property
    def rule(self) -> str:
        """The ``--natpf1`` argument; the guest IP stays empty (the NAT guest, 10.0.2.15)."""
        return f"{self.name},{self.protocol},{self.host_ip},{self.host_port},,{self.guest_port}"


@dataclass(frozen=True)
class CloneSettings:
    """``VBoxManage clonevm`` of the lab VM (taken before its forwarding rule exists)."""

    name: str
    forward: PortForward | None = None
    """The clone's own forwarding rule (another host port); ``None``: none."""


@dataclass(frozen=True)
class DiskCopySettings:
    """``VBoxManage clonemedium disk source target``."""

    target: str
    source: str
    format: str = "VDI"


@dataclass(frozen=True)
class VirtualBoxSettings:
    """The VirtualBox lab, validated."""

    vm_name: str = "lab-vm"
    disk: str | None = None
    """Existing virtual disk (.vdi/.vmdk/.vhd) attached to a new VM; kept on destroy."""
    appliance: str | None = None
    """Appliance (.ova/.ovf) imported as the VM; its imported disks are deleted on destroy."""
    os_type: str = "Ubuntu_64"
    memory_mb: int = 2048
    cpus: int = 1
    storage_controller: str = "SATA"
    forward: PortForward = PortForward()
    clone: CloneSettings | None = None
    disk_copy: DiskCopySettings | None = None
    vboxmanage: str = "VBoxManage"
    """The VBoxManage executable (a name on PATH or a path)."""


_KEYS = (
    "vboxmanage", "vmName", "disk", "appliance", "osType", "memoryMb", "cpus",
    "storageController", "sshForward", "clone", "diskCopy",
)  # fmt: skip


def _key(*names: str) -> str:
    return ".".join((CONFIG_KEY, *names))


def _name(value: Any, key: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ConfigError(
            key, f"{value!r} is not a usable name", "letters, digits, . _ - and spaces, no commas"
        )
    return value


def _path(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        raise ConfigError(key, f"expected a file path, got {value!r}")
    return os.path.expanduser(value.strip())


def _int(value: Any, key: str, low: int, high: int, what: str) -> int:
    # Integers only: a digit string is an error here, unlike in the other labs' settings.
    return int_in_range(value, key, low, high, what, accept_text=False)


def _forward(value: Any, key: str, default: PortForward) -> PortForward:
    raw = object_with_keys(value, key, ("name", "protocol", "hostIp", "hostPort", "guestPort"))
    protocol = raw.get("protocol", default.protocol)
    if protocol not in ("tcp", "udp"):
        raise ConfigError(f"{key}.protocol", f"unknown protocol {protocol!r}", "tcp, udp")
    host_ip = raw.get("hostIp", default.host_ip)
    host_ip = "" if host_ip is None else host_ip
    if host_ip != "":
        host_ip = str(
            ipv4_address(
                host_ip,
                f"{key}.hostIp",
                "empty (every host address), 127.0.0.1 (this machine only) or a host address",
            )
        )
    return PortForward(
        name=_name(raw.get("name", default.name), f"{key}.name"),
        protocol=protocol,
        host_ip=host_ip,
        host_port=_int(
            raw.get("hostPort", default.host_port), f"{key}.hostPort", 1, 65535, "a port"
        ),
        guest_port=_int(
            raw.get("guestPort", default.guest_port), f"{key}.guestPort", 1, 65535, "a port"
        ),
    )


def parse_virtualbox_settings(raw: Mapping[str, Any] | None) -> VirtualBoxSettings:
    """Validate the raw ``cloudlab:virtualbox`` object; missing keys take the lab's values."""
    raw = object_with_keys({} if raw is None else raw, CONFIG_KEY, _KEYS)
    d = VirtualBoxSettings()
    vm_name = _name(raw.get("vmName", d.vm_name), _key("vmName"))

    disk = raw.get("disk")
    appliance = raw.get("appliance")
    if (disk is None) == (appliance is None):
        raise ConfigError(
            _key("disk"),
            "give exactly one of disk and appliance" + (" (both are set)" if disk else ""),
            "disk: an existing .vdi/.vmdk, or appliance: an .ova/.ovf to import",
        )
    if disk is not None:
        disk = _path(disk, _key("disk"))
    if appliance is not None:
        appliance = _path(appliance, _key("appliance"))
        if not appliance.lower().endswith(APPLIANCE_SUFFIXES):
            raise ConfigError(
                _key("appliance"), f"{appliance!r} is not an appliance", ".ova or .ovf file"
            )

    forward = _forward(raw.get("sshForward", {}), _key("sshForward"), d.forward)

    clone = None
    if raw.get("clone") is not None:
        c = object_with_keys(raw["clone"], _key("clone"), ("name", "sshForward"))
        clone_name = _name(c.get("name", f"{vm_name}-clone"), _key("clone", "name"))
        if clone_name == vm_name:
            raise ConfigError(
                _key("clone", "name"), f"{clone_name!r} is the VM's own name", "another name"
            )
        clone_forward = None
        if c.get("sshForward") is not None:
            clone_forward = _forward(c["sshForward"], _key("clone", "sshForward"), forward)
            if (clone_forward.host_ip, clone_forward.host_port) == (
                forward.host_ip,
                forward.host_port,
            ):
                raise ConfigError(
                    _key("clone", "sshForward", "hostPort"),
                    f"{forward.host_port} is already the VM's forwarded port",
                    "another host port (both VMs may run at once)",
                )
        clone = CloneSettings(name=clone_name, forward=clone_forward)

    disk_copy = None
    if raw.get("diskCopy") is not None:
        c = object_with_keys(raw["diskCopy"], _key("diskCopy"), ("target", "source", "format"))
        if "target" not in c:
            raise ConfigError(_key("diskCopy", "target"), "missing", "the path of the copy")
        source = c.get("source", disk)
        if source is None:
            raise ConfigError(
                _key("diskCopy", "source"),
                "missing (an appliance VM has no configured disk to copy)",
                "the path of the disk to copy",
            )
        fmt = c.get("format", "VDI")
        if fmt not in ("VDI", "VMDK", "VHD"):
            raise ConfigError(
                _key("diskCopy", "format"), f"unknown format {fmt!r}", "VDI, VMDK, VHD"
            )
        target = _path(c["target"], _key("diskCopy", "target"))
        source = _path(source, _key("diskCopy", "source"))
        if target == source:
            raise ConfigError(_key("diskCopy", "target"), "is the source itself", "another path")
        disk_copy = DiskCopySettings(target=target, source=source, format=fmt)

    vboxmanage = raw.get("vboxmanage", d.vboxmanage)
    return VirtualBoxSettings(
        vm_name=vm_name,
        disk=disk,
        appliance=appliance,
        os_type=_name(raw.get("osType", d.os_type), _key("osType")),
        memory_mb=_int(raw.get("memoryMb", d.memory_mb), _key("memoryMb"), 4, 2097152, "MB"),
        cpus=_int(raw.get("cpus", d.cpus), _key("cpus"), 1, 64, "a CPU count"),
        storage_controller=_name(
            raw.get("storageController", d.storage_controller), _key("storageController")
        ),
        forward=forward,
        clone=clone,
        disk_copy=disk_copy,
        vboxmanage=_path(vboxmanage, _key("vboxmanage")),
    )
