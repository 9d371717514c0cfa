"""The class's config file (``Pulumi.classroom.yaml``), validated as the classroom stack does,
and the config of each ``group-<id>`` stack derived from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from components.classroom.settings import check_group_calculators
from components.config.classroom import ClassroomConfig
from components.errors import ConfigError
from components.settings import load_settings

NAMESPACE = "cloudlab:"


def read_config(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a stack file."""
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(str(path), f"cannot read it ({error})") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise ConfigError(str(path), "no `config:` mapping", "a Pulumi.<stack>.yaml file")
    return config


def load_class(config: dict[str, Any]) -> ClassroomConfig:
    """The classroom stack's config, validated (a :class:`ConfigError` names the key)."""
    raw = {k[len(NAMESPACE) :]: v for k, v in config.items() if k.startswith(NAMESPACE)}
    raw.pop("environment", None)
    return load_settings(ClassroomConfig, raw, NAMESPACE)


def group_stack_name(group_id: str) -> str:
    return f"group-{group_id}"


def group_configs(cfg: ClassroomConfig, classroom_stack: str) -> dict[str, dict[str, Any]]:
    """Each group's stack config: an ordinary ``openstack`` stack with its lab, its group,
    and no default OpenStack provider (everything goes through the group's credentials)."""
    labs = check_group_calculators(cfg.calculator, cfg.classroom)
    return {
        group.id: {
            "cloudlab:environment": "openstack",
            "cloudlab:calculator": labs[group.id].model_dump(
                mode="json", by_alias=True, exclude_unset=True
            ),
            "cloudlab:group": {"id": group.id, "classroomStack": classroom_stack},
            "pulumi:disable-default-providers": ["openstack"],
        }
        for group in cfg.classroom.groups
    }
