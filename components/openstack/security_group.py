"""A security group holding exactly the rules it is given, nothing more.

Ingress: only the listed rules. Egress: with ``egress`` given, Neutron's default egress rules
(everything to 0.0.0.0/0 and ::/0, added to every new group) are dropped
(``delete_default_rules``) and only the listed egress rules exist; an empty list means no
egress at all (replies to allowed ingress still flow: groups are stateful). Without it
(``None``) Neutron's default egress stays, for groups whose needs are not listed yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

from components.openstack.network import cidr_slug


@dataclass(frozen=True)
class IngressRule:
    """Allow ``protocol`` traffic to ports ``port_min``-``port_max`` from ``remote_cidr``.

    Give ``remote_group_id`` instead of ``remote_cidr`` to allow only the ports that are
    members of another security group (e.g. "cluster members only").
    """

    protocol: str
    """``tcp``, ``udp``, ``icmp`` or an IP protocol number such as ``4`` (IP-in-IP)."""
    remote_cidr: str | None = None
    """The only source allowed (exactly one of this and ``remote_group_id``)."""
    port_min: int | None = None
    """First port; ``None`` for protocols without ports."""
    port_max: int | None = None
    """Last port; defaults to ``port_min``."""
    description: str = ""
    """Why the rule exists (shown in Horizon)."""
    remote_group_id: pulumi.Input[str] | None = None
    """Only members of this security group may connect (instead of ``remote_cidr``)."""
    remote_group_key: str = "group"
    """Name of the remote group in the rule's resource name (its id is not known yet)."""

    def __post_init__(self) -> None:
        if (self.remote_cidr is None) == (self.remote_group_id is None):
            raise ValueError("an ingress rule needs exactly one of remote_cidr, remote_group_id")

    @property
    def key(self) -> str:
        """Stable fragment of the rule's resource name, derived from what it allows."""
        ports = ""
        if self.port_min is not None:
            high = self.port_max if self.port_max is not None else self.port_min
            ports = f"-{self.port_min}" if high == self.port_min else f"-{self.port_min}-{high}"
        source = self.remote_group_key if self.remote_cidr is None else cidr_slug(self.remote_cidr)
        return f"{self.protocol}{ports}-from-{source}"


@dataclass(frozen=True)
class EgressRule(IngressRule):
    """Allow ``protocol`` traffic out to ports ``port_min``-``port_max`` of ``remote_cidr``
    (or of the members of ``remote_group_id``)."""

    @property
    def key(self) -> str:
        ports = ""
        if self.port_min is not None:
            high = self.port_max if self.port_max is not None else self.port_min
            ports = f"-{self.port_min}" if high == self.port_min else f"-{self.port_min}-{high}"
        target = self.remote_group_key if self.remote_cidr is None else cidr_slug(self.remote_cidr)
        return f"egress-{self.protocol}{ports}-to-{target}"


@dataclass
class SecurityGroupArgs:
    """Arguments of :class:`SecurityGroup`."""

    description: str
    """What the group protects."""
    rules: Sequence[IngressRule]
    """Every ingress rule; anything else inbound is dropped."""
    egress: Sequence[EgressRule] | None = None
    """Every egress rule (Neutron's allow-all defaults dropped); ``None`` keeps the defaults."""


class SecurityGroup(pulumi.ComponentResource):
    """Least-privilege security group: only the listed ingress, and the listed egress."""

    group: openstack.networking.SecGroup
    rules: dict[str, openstack.networking.SecGroupRule]
    group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: SecurityGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:openstack:SecurityGroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.group = openstack.networking.SecGroup(
            f"{name}-sg",
            name=name,
            description=args.description,
            delete_default_rules=True if args.egress is not None else None,
            opts=child,
        )
        self.rules = {}
        for rule in [*args.rules, *(args.egress or ())]:
            if rule.key in self.rules:
                raise ValueError(f"security group {name}: duplicate rule {rule.key}")
            port_max = rule.port_max if rule.port_max is not None else rule.port_min
            self.rules[rule.key] = openstack.networking.SecGroupRule(
                f"{name}-{rule.key}",
                security_group_id=self.group.id,
                direction="egress" if isinstance(rule, EgressRule) else "ingress",
                ethertype="IPv4",
                protocol=rule.protocol,
                port_range_min=rule.port_min,
                port_range_max=port_max,
                remote_ip_prefix=rule.remote_cidr,
                remote_group_id=rule.remote_group_id,
                description=rule.description or None,
                opts=child,
            )
        self.group_id = self.group.id
        self.register_outputs({"group_id": self.group_id})
