"""The VirtualBox lab (docs/labs/virtualbox.md) through ``VBoxManage``. See README.md."""

from .lab import VirtualBoxLab, VirtualBoxLabArgs
from .settings import VirtualBoxSettings, parse_virtualbox_settings

__all__ = ["VirtualBoxLab", "VirtualBoxLabArgs", "VirtualBoxSettings", "parse_virtualbox_settings"]
