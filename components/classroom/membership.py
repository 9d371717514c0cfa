"""A group's own lab: ``cloudlab:group`` of a ``group-<id>`` stack, and the provider that runs
it with the group's credentials, read from the classroom stack through a StackReference.

The group stack is an ordinary ``openstack`` stack: the same calculator lab, the same quota
pre-flight, the same exports. Only its provider differs: an explicit ``openstack.Provider``
made from the classroom stack's ``groups`` output (a secret, kept secret here), so the
group's resources are created by the group's own user in the group's own project, and its
names carry the group's id.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_openstack as openstack

from components.classroom.settings import GroupId
from components.settings import ConfigModel, Text, required

CREDENTIAL_KEYS = (
    "auth_url",
    "username",
    "password",
    "project_name",
    "user_domain_id",
    "project_domain_id",
    "region_name",
)
"""What the classroom stack exports for each group (and the provider needs)."""


class GroupMembership(ConfigModel):
    """``cloudlab:group``: which group of which class this stack's lab belongs to."""

    id: GroupId = required("the group's id in the roster (e.g. g01)")
    """The group's id: the lab's names carry it (``calc-<id>-...``)."""
    classroom_stack: Text(r"^[^/\s]+/[^/\s]+/[^/\s]+$", "organization/project/stack") = (
        "organization/cloudlab/classroom"
    )
    """The classroom stack whose ``groups`` output holds the credentials."""

    @property
    def lab_name(self) -> str:
        """The lab component's name, the prefix of every OpenStack name of the group's lab."""
        return f"calc-{self.id}"


def _credentials_of(group_id: str, groups: Any) -> dict[str, str]:
    if not isinstance(groups, dict) or group_id not in groups:
        known = ", ".join(sorted(groups)) if isinstance(groups, dict) else "none"
        raise pulumi.RunError(
            f"the classroom stack has no credentials for group {group_id!r} (its groups: "
            f"{known}): add the group to the roster and run `python -m classroom up`"
        )
    entry = groups[group_id]
    missing = [key for key in CREDENTIAL_KEYS if not entry.get(key)]
    if missing:
        raise pulumi.RunError(f"group {group_id!r}'s credentials lack {', '.join(missing)}")
    return entry


def group_provider(membership: GroupMembership) -> openstack.Provider:
    """An OpenStack provider authenticated as the group's user in the group's project."""
    classroom = pulumi.StackReference(membership.classroom_stack)
    creds = classroom.require_output("groups").apply(
        lambda groups: _credentials_of(membership.id, groups)
    )

    def field(key: str) -> pulumi.Output[str]:
        return creds.apply(lambda c: c[key])

    return openstack.Provider(
        f"group-{membership.id}",
        auth_url=field("auth_url"),
        user_name=field("username"),
        password=pulumi.Output.secret(field("password")),
        tenant_name=field("project_name"),
        user_domain_id=field("user_domain_id"),
        project_domain_id=field("project_domain_id"),
        region=field("region_name"),
    )
