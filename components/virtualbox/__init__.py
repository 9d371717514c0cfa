"""The VirtualBox lab (LABS.md section 5) through ``VBoxManage``. See README.md."""

from .lab import VirtualBoxLab, VirtualBoxLabArgs
from .settings import VirtualBoxSettings, parse_virtualbox_settings

__all__ = ["VirtualBoxLab", "VirtualBoxLabArgs", "VirtualBoxSettings", "parse_virtualbox_settings"]
