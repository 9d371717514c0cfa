"""``virtualbox``: the VirtualBox lab."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from components.config._shared import unset_is_empty
from components.settings import EnvironmentConfig
from components.virtualbox.settings import VirtualBoxSettings


class VirtualBoxConfig(EnvironmentConfig):
    """``virtualbox``: a NAT VM, its SSH forwarding rule, a clone, a disk copy."""

    virtualbox: VirtualBoxSettings
    """The VirtualBox lab."""

    @model_validator(mode="before")
    @classmethod
    def _unset_lab_is_empty(cls, raw: Any) -> Any:
        return unset_is_empty(raw, "virtualbox")
