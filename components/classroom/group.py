"""``StudentGroup``: one group's Keystone project, its user, the member role, and its quotas.

The user has the role on its own project and nothing else, so openstacksdk (or the Pulumi
provider) as that user sees its project's servers, networks and floating IPs, never another
group's. The password is generated here (:class:`GeneratedPassword`), a secret in the state
and in the credentials this component exports; the quotas are the lab's footprint with the
class's margin (:func:`components.classroom.quotas.group_quotas`), set by an admin.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

from components.dynamic.password import GeneratedPassword
from components.openstack.quota import Footprint


@dataclass
class StudentGroupArgs:
    """Arguments of :class:`StudentGroup`."""

    group_id: str
    """The roster's id (``g01``)."""
    title: str
    """The group's display name (the project's description)."""
    name: str
    """The project's and the user's name (``class-g01``)."""
    quotas: Footprint
    """The project's quotas (instances, cores, RAM in MiB, network quotas)."""
    role_id: pulumi.Input[str]
    """The role the user gets on the project (``member``'s id)."""
    domain: str = "default"
    auth_url: str = "http://127.0.0.1:5000/v3"
    region: str = "RegionOne"
    password_length: int = 24


class StudentGroup(pulumi.ComponentResource):
    """A group's project, user, role assignment and quotas; ``credentials`` is a secret."""

    project: openstack.identity.Project
    user: openstack.identity.User
    project_id: pulumi.Output[str]
    credentials: pulumi.Output[dict[str, str]]
    """``auth_url``, ``username``, ``password``, ``project_name``, ``project_id``,
    ``user_domain_id``, ``project_domain_id``, ``region_name``: a secret."""

    def __init__(
        self, name: str, args: StudentGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:classroom:StudentGroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.project = openstack.identity.Project(
            f"{name}-project",
            name=args.name,
            domain_id=args.domain,
            description=f"cloudlab class group {args.group_id}: {args.title}",
            tags=["cloudlab-classroom", f"group-{args.group_id}"],
            opts=child,
        )
        password = GeneratedPassword(
            f"{name}-password",
            args.password_length,
            keepers={"user": args.name},
            opts=child,
        )
        self.user = openstack.identity.User(
            f"{name}-user",
            name=args.name,
            domain_id=args.domain,
            default_project_id=self.project.id,
            password=password.result,
            description=f"cloudlab class group {args.group_id}",
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["password"]),
        )
        openstack.identity.RoleAssignment(
            f"{name}-member",
            project_id=self.project.id,
            user_id=self.user.id,
            role_id=args.role_id,
            opts=child,
        )
        q = args.quotas
        openstack.compute.QuotaSetV2(
            f"{name}-compute-quota",
            project_id=self.project.id,
            instances=q.instances,
            cores=q.cores,
            ram=q.ram,
            opts=child,
        )
        openstack.networking.QuotaV2(
            f"{name}-network-quota",
            project_id=self.project.id,
            floatingip=q.floating_ips,
            network=q.networks,
            subnet=q.subnets,
            router=q.routers,
            port=q.ports,
            security_group=q.security_groups,
            security_group_rule=q.security_group_rules,
            opts=child,
        )
        self.project_id = self.project.id
        self.credentials = pulumi.Output.secret(
            pulumi.Output.all(self.project.id, password.result).apply(
                lambda values: {
                    "auth_url": args.auth_url,
                    "username": args.name,
                    "password": values[1],
                    "project_name": args.name,
                    "project_id": values[0],
                    "user_domain_id": args.domain,
                    "project_domain_id": args.domain,
                    "region_name": args.region,
                }
            )
        )
        self.register_outputs({"project_id": self.project_id, "credentials": self.credentials})
