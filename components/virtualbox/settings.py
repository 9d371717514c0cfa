"""Settings of the VirtualBox lab (docs/labs/virtualbox.md): the ``cloudlab:virtualbox`` model."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field, model_validator

from components.settings import (
    Choice,
    ConfigModel,
    Int,
    check_ipv4_address,
    derived,
    field_type,
    invalid,
    load_settings,
    required,
)

CONFIG_KEY = "cloudlab:virtualbox"
APPLIANCE_SUFFIXES = (".ova", ".ovf")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]*$")
"""VM names, storage controller and rule names: no commas (the ``--natpf1`` syntax) nor
quotes or slashes."""
DEFAULT_VM_NAME = "lab-vm"


def _name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise invalid(
            f"{value!r} is not a usable name", "letters, digits, . _ - and spaces, no commas"
        )
    return value


def _path(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        raise invalid(f"expected a file path, got {value!r}")
    return os.path.expanduser(value.strip())


def _optional_path(value: Any) -> str | None:
    return None if value is None else _path(value)


def _appliance(value: Any) -> str | None:
    appliance = _optional_path(value)
    if appliance is not None and not appliance.lower().endswith(APPLIANCE_SUFFIXES):
        raise invalid(f"{appliance!r} is not an appliance", ".ova or .ovf file")
    return appliance


def _host_ip(value: Any) -> str:
    if value is None or value == "":
        return ""
    return check_ipv4_address(
        value, "empty (every host address), 127.0.0.1 (this machine only) or a host address"
    )


Name = field_type("name: letters, digits, . _ - and spaces, no commas", _name)
FilePath = field_type("file path (~ expanded)", _path)
OptionalPath = field_type("file path (~ expanded), or null", _optional_path)
# Integers only: a digit string is an error here, unlike in the other labs' settings.
PortNumber = Int(1, 65535, "a port", accept_text=False)


class PortForward(ConfigModel):
    """A NAT port-forwarding rule ``name,protocol,host_ip,host_port,,guest_port``."""

    name: Name = "ssh"
    """Name of the rule."""
    protocol: Choice(("tcp", "udp"), "protocol", ", ") = "tcp"
    """``tcp`` or ``udp``."""
    host_ip: field_type("IPv4 address, or empty", _host_ip) = "127.0.0.1"
    """Empty: every host address (the neighbours can connect); 127.0.0.1: this machine only."""
    host_port: PortNumber = 2222
    """Port on the host."""
    guest_port: PortNumber = 22
    """Port in the VM."""

    @property
    def rule(self) -> str:
        """The ``--natpf1`` argument; the guest IP stays empty (the NAT guest, 10.0.2.15)."""
        return f"{self.name},{self.protocol},{self.host_ip},{self.host_port},,{self.guest_port}"


class CloneSettings(ConfigModel):
    """``VBoxManage clonevm`` of the lab VM (taken before its forwarding rule exists)."""

    name: Name = required("a name for the clone", derived="`<vmName>-clone`")
    """Name of the clone."""
    forward: PortForward | None = Field(None, alias="sshForward")
    """The clone's own forwarding rule, its unset keys taken from the VM's (give another
    ``hostPort``); unset: none."""


class DiskCopySettings(ConfigModel):
    """``VBoxManage clonemedium disk source target``."""

    target: FilePath = required("the path of the copy")
    """Path of the copy."""
    source: OptionalPath = derived(None, "`disk`")
    """The disk to copy."""
    format: Choice(("VDI", "VMDK", "VHD"), "format", ", ") = "VDI"
    """Format of the copy."""


class VirtualBoxSettings(ConfigModel):
    """The VirtualBox lab (``cloudlab:virtualbox``): exactly one of ``disk`` and
    ``appliance``."""

    vboxmanage: FilePath = "VBoxManage"
    """The VBoxManage executable (a name on PATH or a path)."""
    vm_name: Name = DEFAULT_VM_NAME
    """Name of the VM."""
    disk: OptionalPath = None
    """Existing virtual disk (.vdi/.vmdk/.vhd) attached to a new VM; kept on destroy."""
    appliance: field_type("path of an .ova or .ovf file, or null", _appliance) = None
    """Appliance (.ova/.ovf) imported as the VM; its imported disks are deleted on destroy."""
    os_type: Name = "Ubuntu_64"
    """VirtualBox OS type of a new VM."""
    memory_mb: Int(4, 2097152, "MB", accept_text=False) = 2048
    """Memory of the VM, MB."""
    cpus: Int(1, 64, "a CPU count", accept_text=False) = 1
    """CPUs of the VM."""
    storage_controller: Name = "SATA"
    """Storage controller the disk is attached to."""
    forward: PortForward = Field(PortForward(), alias="sshForward")
    """The VM's NAT forwarding rule to its SSH port."""
    clone: CloneSettings | None = None
    """A clone of the VM (``{name, sshForward}``); unset: none."""
    disk_copy: DiskCopySettings | None = None
    """A copy of a disk (``{target, source, format}``); unset: none."""

    @model_validator(mode="before")
    @classmethod
    def _defaults_from_the_vm(cls, raw: Any) -> Any:
        """The clone's name and unset forwarding keys, and the copy's source, come from the
        VM's own settings."""
        if not isinstance(raw, Mapping):
            return raw
        raw = dict(raw)
        clone = raw.get("clone")
        if isinstance(clone, Mapping):
            clone = dict(clone)
            clone.setdefault("name", f"{raw.get('vmName', DEFAULT_VM_NAME)}-clone")
            vm_forward = raw.get("sshForward")
            if isinstance(clone.get("sshForward"), Mapping) and isinstance(
                vm_forward or {}, Mapping
            ):
                clone["sshForward"] = {**(vm_forward or {}), **clone["sshForward"]}
            raw["clone"] = clone
        copy = raw.get("diskCopy")
        if isinstance(copy, Mapping) and "source" not in copy and raw.get("disk") is not None:
            raw["diskCopy"] = {**copy, "source": raw["disk"]}
        return raw

    @model_validator(mode="after")
    def _lab_is_consistent(self) -> VirtualBoxSettings:
        """Exactly one of `disk` and `appliance`. The clone has a name of its own and, with
        `sshForward`, its own host port. `diskCopy` has a source (default: `disk`) other than
        its target."""
        if (self.disk is None) == (self.appliance is None):
            raise invalid(
                "give exactly one of disk and appliance" + (" (both are set)" if self.disk else ""),
                "disk: an existing .vdi/.vmdk, or appliance: an .ova/.ovf to import",
                "disk",
            )
        if self.clone is not None:
            if self.clone.name == self.vm_name:
                raise invalid(
                    f"{self.clone.name!r} is the VM's own name", "another name", "clone.name"
                )
            mine, its = self.forward, self.clone.forward
            if its is not None and (its.host_ip, its.host_port) == (mine.host_ip, mine.host_port):
                raise invalid(
                    f"{mine.host_port} is already the VM's forwarded port",
                    "another host port (both VMs may run at once)",
                    "clone.sshForward.hostPort",
                )
        if self.disk_copy is not None:
            if self.disk_copy.source is None:
                raise invalid(
                    "missing (an appliance VM has no configured disk to copy)",
                    "the path of the disk to copy",
                    "diskCopy.source",
                )
            if self.disk_copy.target == self.disk_copy.source:
                raise invalid("is the source itself", "another path", "diskCopy.target")
        return self


def parse_virtualbox_settings(raw: Mapping[str, Any] | None) -> VirtualBoxSettings:
    """Validate the raw ``cloudlab:virtualbox`` object; missing keys take the lab's values."""
    return load_settings(VirtualBoxSettings, raw, CONFIG_KEY)
