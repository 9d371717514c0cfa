"""A pre-flight quota check: refuse a lab that does not fit the project before creating anything.

A lab that hits a quota half-way leaves some of its resources behind and fails on a message from
Nova or Neutron that names neither the lab nor what to ask for. So before the first resource is
registered, the stack reads the project's quotas and usage through the provider's own data
sources and compares them with what the lab needs:

- compute: instances, cores and RAM. Nova tells usage only through ``getLimitsV2``, whose call
  (``GET /limits?tenant_id=``) its default policy keeps for admins
  (``os_compute_api:limits:other_project``), so an admin gets limits and usage, and a member
  (a student) the limits alone, from ``getQuotaSetV2``;
- networking (``getQuotaV2``): floating IPs, networks, subnets, routers, ports, security groups
  and their rules. Neutron's quota data source gives limits only; the provider can count the
  project's ports (``getPortIds``) and subnets (``getSubnetIdsV2``), so those two are checked
  against their free room and the others against the limit alone.

Where the usage is unknown the lab is checked against the limit alone: a lab larger than the
project's quota is refused up front; one that fits the quota but not what others left free is
still refused by Nova or Neutron at creation, naming the quota.

What the stack itself already holds is not counted twice: a stack exports its footprint
(``quotaFootprint``) and the next update reads it back (:mod:`components.stack_outputs`) and
adds it to the free room, so a second ``up`` of a lab that fits exactly still passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import pulumi
import pulumi_openstack as openstack

from components.stack_outputs import previous_outputs

FOOTPRINT_OUTPUT = "quotaFootprint"
"""The stack output holding what the stack's resources take from the quotas."""

UNLIMITED = -1
"""What OpenStack reports for a quota without a limit."""


@dataclass(frozen=True)
class Footprint:
    """What a lab takes from a project's quotas (names as ``openstack quota show`` prints)."""

    instances: int = 0
    cores: int = 0
    ram: int = 0
    """MiB."""
    floating_ips: int = 0
    networks: int = 0
    subnets: int = 0
    routers: int = 0
    ports: int = 0
    security_groups: int = 0
    security_group_rules: int = 0

    def as_output(self) -> dict[str, int]:
        """The stack output's value."""
        return asdict(self)

    @classmethod
    def from_output(cls, value: Any) -> Footprint:
        """A footprint from a stack output; anything unreadable counts as nothing held."""
        if not isinstance(value, Mapping):
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(
            **{
                k: int(v)
                for k, v in value.items()
                if k in known and isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
            }
        )


@dataclass(frozen=True)
class Quota:
    """One quota of the project: its limit and, when the cloud tells, what is in use."""

    limit: int
    """``-1``: unlimited."""
    used: int | None = None
    """``None``: the provider does not report it (checked against the limit alone)."""


EGRESS_RULES_PER_GROUP = 2
"""Neutron gives every new security group two egress rules (IPv4 and IPv6); they count, unless
the group drops them for its own list (``SecurityGroupArgs.egress``)."""


def lab_footprint(
    *,
    instances: int,
    vcpus: int,
    ram_mb: int,
    networks: int,
    routers: int,
    router_interfaces: int,
    floating_ips: int,
    ingress_rules_per_group: list[int],
    egress_rules_per_group: list[int] | None = None,
) -> Footprint:
    """What a lab of ``instances`` VMs of one flavor (``vcpus``, ``ram_mb``) needs.

    Ports: one per VM, one per router interface, and one DHCP port per subnet (a cloud's DHCP
    agent makes it in the project). A router's external gateway and a floating IP have ports of
    no project and count for nothing. ``egress_rules_per_group``: the groups' own egress
    rules (Neutron's defaults dropped); ``None``: Neutron's two per group.
    """
    egress = (
        [EGRESS_RULES_PER_GROUP] * len(ingress_rules_per_group)
        if egress_rules_per_group is None
        else egress_rules_per_group
    )
    return Footprint(
        instances=instances,
        cores=instances * vcpus,
        ram=instances * ram_mb,
        floating_ips=floating_ips,
        networks=networks,
        subnets=networks,
        routers=routers,
        ports=instances + router_interfaces + networks,
        security_groups=len(ingress_rules_per_group),
        security_group_rules=sum(ingress_rules_per_group) + sum(egress),
    )


def shortfalls(need: Footprint, held: Footprint, quotas: Mapping[str, Quota]) -> list[str]:
    """Each quota ``need`` does not fit in, as a sentence with the numbers (empty: it fits).

    ``held`` is what this stack's own resources already take (they are replaced by ``need``,
    not added to it).
    """
    problems = []
    for f in fields(Footprint):
        wanted = getattr(need, f.name)
        quota = quotas.get(f.name)
        if quota is None or quota.limit == UNLIMITED or wanted == 0:
            continue
        mine = getattr(held, f.name)
        if quota.used is None:
            if wanted > quota.limit:
                problems.append(
                    f"{f.name}: the lab needs {wanted}, the project's limit is {quota.limit}"
                )
            continue
        others = max(quota.used - mine, 0)
        free = quota.limit - others
        if wanted > free:
            problems.append(
                f"{f.name}: the lab needs {wanted}, the project may have {quota.limit} and "
                f"{others} are used by others, so {max(free, 0)} are free"
            )
    return problems


class QuotaError(pulumi.RunError):
    """The lab does not fit the project's quotas; raised before any resource is registered."""

    def __init__(self, project: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"the lab does not fit the quotas of project {project}: "
            + "; ".join(problems)
            + ". Ask the cloud's admins to raise them (`openstack quota show`), free some, or "
            "make the lab smaller (cloudlab:calculator.replicas, .flavor, .topology)."
        )


def _limit(value: int | None) -> int:
    return UNLIMITED if value is None else int(value)


def read_compute_quotas(
    project_id: str, admin: bool, opts: pulumi.InvokeOptions | None = None
) -> dict[str, Quota]:
    """Instances, cores and RAM: with usage for an admin, the limits alone for a member."""
    if admin:
        limits = openstack.compute.get_limits_v2(project_id=project_id, opts=opts)
        return {
            "instances": Quota(_limit(limits.max_total_instances), limits.total_instances_used),
            "cores": Quota(_limit(limits.max_total_cores), limits.total_cores_used),
            "ram": Quota(_limit(limits.max_total_ram_size), limits.total_ram_used),
        }
    quota = openstack.compute.get_quota_set_v2(project_id=project_id, opts=opts)
    return {
        "instances": Quota(_limit(quota.instances)),
        "cores": Quota(_limit(quota.cores)),
        "ram": Quota(_limit(quota.ram)),
    }


def read_quotas(
    project_id: str, admin: bool = False, opts: pulumi.InvokeOptions | None = None
) -> dict[str, Quota]:
    """The project's quotas and what the provider reports of their usage (``opts``: the
    provider to ask; default the stack's)."""
    network = openstack.networking.get_quota_v2(project_id=project_id, opts=opts)
    ports = openstack.networking.get_port_ids(project_id=project_id, opts=opts)
    subnets = openstack.networking.get_subnet_ids_v2(tenant_id=project_id, opts=opts)
    return {
        **read_compute_quotas(project_id, admin, opts),
        "floating_ips": Quota(_limit(network.floatingip)),
        "networks": Quota(_limit(network.network)),
        "subnets": Quota(_limit(network.subnet), len(subnets.ids or [])),
        "routers": Quota(_limit(network.router)),
        "ports": Quota(_limit(network.port), len(ports.ids or [])),
        "security_groups": Quota(_limit(network.security_group)),
        "security_group_rules": Quota(_limit(network.security_group_rule)),
    }


def held_by_this_stack() -> Footprint:
    """What this stack's resources took at its last update (nothing before the first)."""
    return Footprint.from_output(previous_outputs().get(FOOTPRINT_OUTPUT))


def check_quotas(need: Footprint, opts: pulumi.InvokeOptions | None = None) -> None:
    """Raise :class:`QuotaError` when ``need`` does not fit the current project's quotas
    (``opts``: the provider whose project it is; default the stack's)."""
    scope = openstack.identity.get_auth_scope(name="current", opts=opts)
    project = scope.project_id or ""
    admin = any(role.role_name == "admin" for role in scope.roles or [])
    problems = shortfalls(need, held_by_this_stack(), read_quotas(project, admin, opts))
    if problems:
        raise QuotaError(scope.project_name or project, problems)
