"""The roster of a class: the ``cloudlab:classroom`` model.

A teacher lists the groups (an id and a display name each, optional per-group overrides); the
classroom stack makes one Keystone project, user and quota set per group, and the driver
(``python -m classroom``) one ``group-<id>`` stack per group. A group id becomes part of
OpenStack names and of a Pulumi stack name, so it is a DNS label: lowercase letters, digits and
hyphens, starting with a letter, at most :data:`MAX_ID_LENGTH` characters, and unique in the
roster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError, field_validator

from components.calculator.settings import CalculatorSettings
from components.settings import (
    ConfigModel,
    Int,
    Text,
    config_error,
    field_type,
    invalid,
    required,
)

CONFIG_KEY = "cloudlab:classroom"
MAX_ID_LENGTH = 20
"""Short enough for ``group-<id>`` stacks and ``<prefix><id>`` project names."""
MAX_GROUPS = 200
GROUP_ID_PATTERN = r"^[a-z]([a-z0-9-]*[a-z0-9])?$"
GROUP_ID_VALID = (
    f"lowercase letters, digits and '-', starting with a letter, not ending with '-', "
    f"at most {MAX_ID_LENGTH} characters (e.g. g01)"
)


def _group_id(value: Any) -> str:
    if not isinstance(value, str) or not re.match(GROUP_ID_PATTERN, value):
        raise invalid(f"{value!r} is not a valid group id", GROUP_ID_VALID)
    if len(value) > MAX_ID_LENGTH:
        raise invalid(f"group id {value!r} is longer than {MAX_ID_LENGTH}", GROUP_ID_VALID)
    return value


GroupId = field_type(f"group id ({GROUP_ID_VALID})", _group_id)


def _margin(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 10:
        raise invalid(f"expected a quota margin, got {value!r}", "a number from 1.0 to 10.0")
    return float(value)


Margin = field_type("number 1.0-10.0", _margin)


def _overrides(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise invalid(f"expected an object, got {value!r}", "keys of cloudlab:calculator")
    unknown = sorted(set(value) - set(CalculatorSettings.config_keys()))
    if unknown:
        raise invalid(
            f"unknown calculator setting {unknown[0]!r}",
            ", ".join(CalculatorSettings.config_keys()),
            at=unknown[0],
        )
    return dict(value)


CalculatorOverrides = field_type("object (keys of cloudlab:calculator)", _overrides)


class GroupSettings(ConfigModel):
    """One student group of the roster."""

    id: GroupId = required(GROUP_ID_VALID)
    """The group's id: in its project's, user's and stack's names (``group-<id>``)."""
    name: Text(optional=True) = None
    """A display name (the project's description and the handout's title); default: the id."""
    quota_margin: Margin | None = None
    """This group's quota margin; default: the roster's ``quotaMargin``."""
    calculator: CalculatorOverrides = Field(default_factory=dict)
    """Settings of ``cloudlab:calculator`` this group's lab changes (e.g. ``replicas: 2``)."""

    @property
    def title(self) -> str:
        return self.name or self.id


class ClassroomSettings(ConfigModel):
    """The class (``cloudlab:classroom``): who gets a project, and how much room."""

    groups: tuple[GroupSettings, ...] = required("a list of {id, name} objects, e.g. [{id: g01}]")
    """The groups, each with its own project, user, quotas and ``group-<id>`` stack."""
    quota_margin: Margin = 1.5
    """Each quota is the lab's footprint times this (rounded up), so a group can retry or
    replace a VM without hitting a quota; 1.0 is the exact footprint."""
    project_prefix: Text(r"^[a-z][a-z0-9-]*$", "lowercase letters, digits and '-'") = "class-"
    """Projects and users are named ``<prefix><id>``."""
    domain: Text() = "default"
    """The Keystone domain (id) of the projects and users."""
    role: Text() = "member"
    """The role each group's user gets on its own project, and nothing else."""
    auth_url: Text(r"^https?://", "an http(s) URL of Keystone v3") = "http://127.0.0.1:5000/v3"
    """Keystone's URL as the groups reach it (in their credentials and handouts)."""
    region: Text() = "RegionOne"
    """The region in the groups' credentials."""
    password_length: Int(16, 64, "a password length") = 24
    """Characters of each generated password."""

    @field_validator("groups", mode="after")
    @classmethod
    def _ids_are_unique(cls, groups: tuple[GroupSettings, ...]) -> tuple[GroupSettings, ...]:
        if not groups:
            raise invalid("the roster is empty", "at least one group, e.g. [{id: g01}]")
        if len(groups) > MAX_GROUPS:
            raise invalid(f"{len(groups)} groups", f"at most {MAX_GROUPS}")
        seen: dict[str, int] = {}
        for index, group in enumerate(groups):
            if group.id in seen:
                raise invalid(
                    f"group id {group.id!r} is also the id of groups[{seen[group.id]}]",
                    "a unique id per group",
                    at=f"[{index}].id",
                )
            seen[group.id] = index
        return groups

    def group(self, group_id: str) -> GroupSettings:
        """The group ``group_id`` of the roster."""
        for group in self.groups:
            if group.id == group_id:
                return group
        raise KeyError(group_id)

    def margin(self, group: GroupSettings) -> float:
        """The quota margin of ``group``."""
        return group.quota_margin if group.quota_margin is not None else self.quota_margin

    def project_name(self, group: GroupSettings) -> str:
        """The Keystone project (and user) name of ``group``."""
        return f"{self.project_prefix}{group.id}"


def group_calculator(base: CalculatorSettings, group: GroupSettings) -> CalculatorSettings:
    """The calculator settings of ``group``'s lab: the class's, with the group's overrides.

    Raises the pydantic error of the merged object (the caller names the key)."""
    raw = {**base.model_dump(mode="json", by_alias=True, exclude_unset=True), **group.calculator}
    return CalculatorSettings.model_validate(raw, by_alias=True, by_name=False)


def check_group_calculators(
    base: CalculatorSettings, classroom: ClassroomSettings, at: str = "classroom."
) -> dict[str, CalculatorSettings]:
    """Every group's calculator settings; a bad override raises :func:`invalid` at
    ``<at>groups[i].calculator.<key>``."""
    found = {}
    for index, group in enumerate(classroom.groups):
        try:
            found[group.id] = group_calculator(base, group)
        except ValidationError as error:
            inner = config_error(error, CalculatorSettings, "calculator:")
            key = inner.key.removeprefix("calculator:")
            raise invalid(
                inner.problem, inner.valid, at=f"{at}groups[{index}].calculator.{key}"
            ) from None
    return found
