"""The teacher's stack: a Keystone project, a user with a generated password, the member role
and quotas sized from the lab's footprint, for every group of the roster
(``cloudlab:classroom``). Run with admin credentials; each group's ``group-<id>`` stack reads
its credentials from this stack's ``groups`` output (a secret)."""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from components.classroom.group import StudentGroup, StudentGroupArgs
from components.classroom.quotas import group_quotas
from components.classroom.settings import check_group_calculators
from components.config import load_config
from components.config.classroom import ClassroomConfig
from components.openstack.vm import cloud_flavor


def run(config: pulumi.Config) -> None:
    """Read ``cloudlab:classroom`` and ``cloudlab:calculator``, make every group's project."""
    cfg = load_config(ClassroomConfig, config)
    roster = cfg.classroom
    labs = check_group_calculators(cfg.calculator, roster)
    flavors = {
        name: cloud_flavor(name, "cloudlab:calculator.flavor")
        for name in sorted({lab.flavor for lab in labs.values()})
    }
    role = openstack.identity.get_role(name=roster.role, domain_id=None)

    groups: dict[str, StudentGroup] = {}
    quotas = {}
    for group in roster.groups:
        lab = labs[group.id]
        flavor = flavors[lab.flavor]
        quotas[group.id] = group_quotas(lab, flavor.vcpus, flavor.ram_mb, roster.margin(group))
        groups[group.id] = StudentGroup(
            f"group-{group.id}",
            StudentGroupArgs(
                group_id=group.id,
                title=group.title,
                name=roster.project_name(group),
                quotas=quotas[group.id],
                role_id=role.id,
                domain=roster.domain,
                auth_url=roster.auth_url,
                region=roster.region,
                password_length=roster.password_length,
            ),
        )

    pulumi.export("groups", pulumi.Output.secret({gid: g.credentials for gid, g in groups.items()}))
    pulumi.export("projects", {gid: g.project_id for gid, g in groups.items()})
    pulumi.export("quotas", {gid: q.as_output() for gid, q in quotas.items()})
