"""The kubeadm cluster's security groups.

``<cluster>-members`` carries no rule and marks the cluster's ports; the master's and the
workers' groups allow the control-plane and CNI ports from that group only, the API (6443)
from ``apiAllowedCidrs``, NodePorts and SSH from their CIDRs (closed when empty). Neutron's
allow-all egress is dropped from every group: the nodes reach their package and image sources
(``egressCidrs`` on ``egressTcpPorts``/``egressUdpPorts``), the metadata service, and each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.kubeadm.settings import ClusterSettings
from components.kubernetes.settings import NODE_PORT_RANGE
from components.openstack.security_group import (
    EgressRule,
    IngressRule,
    SecurityGroup,
    SecurityGroupArgs,
)

API_PORT = 6443


@dataclass
class ClusterSecurityGroupsArgs:
    """Arguments of :class:`ClusterSecurityGroups`."""

    settings: ClusterSettings
    """The CNI's encapsulation and the CIDRs allowed to the API, NodePorts and SSH."""
    cluster_name: str
    """Prefix of the groups' names (``<cluster>-members``, ``-master``, ``-worker``): the names
    a cluster deployed before the groups were their own component holds in its state."""


class ClusterSecurityGroups(pulumi.ComponentResource):
    """The members group and the master's and workers' groups that trust it.

    The groups keep their names and, through an alias to the component's parent (the
    cluster), the URNs they had as the cluster's own children.
    """

    members_group: SecurityGroup
    master_group: SecurityGroup
    worker_group: SecurityGroup

    def __init__(
        self,
        name: str,
        args: ClusterSecurityGroupsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cloudlab:kubernetes:ClusterSecurityGroups", name, None, opts)
        s, prefix = args.settings, args.cluster_name
        parent = opts.parent if opts is not None else None
        child = pulumi.ResourceOptions(
            parent=self,
            aliases=[pulumi.Alias(parent=parent)] if parent is not None else None,
        )
        self.members_group = SecurityGroup(
            f"{prefix}-members",
            SecurityGroupArgs(
                description="cluster members: the source the other groups allow",
                rules=[],
                egress=s.egress_rules(),
            ),
            child,
        )
        members = self.members_group.group_id

        def from_members(protocol: str, low: int | None, high: int | None, why: str) -> IngressRule:
            return IngressRule(
                protocol,
                port_min=low,
                port_max=high,
                description=why,
                remote_group_id=members,
                remote_group_key="members",
            )

        # Between the nodes, anything (the control plane, kubelets, the CNI's pod traffic).
        protocols = ("tcp", "udp", "icmp", *(("4",) if s.encapsulation == "IPIP" else ()))
        in_cluster = [
            EgressRule(
                protocol,
                description=f"{protocol} to the cluster's members",
                remote_group_id=members,
                remote_group_key="members",
            )
            for protocol in protocols
        ]
        egress = [*s.egress_rules(), *in_cluster]

        cni = [from_members("tcp", 5473, None, "Calico Typha")]
        if s.encapsulation == "IPIP":
            cni += [
                from_members("tcp", 179, None, "Calico BGP"),
                from_members("4", None, None, "Calico IP-in-IP"),
            ]
        else:
            cni.append(from_members("udp", 4789, None, "Calico VXLAN"))
        node_rules = [
            from_members("tcp", 10250, None, "kubelet API"),
            from_members("icmp", None, None, "ping between nodes"),
            *cni,
            *(
                IngressRule("tcp", cidr, *NODE_PORT_RANGE, description="NodePort services")
                for cidr in s.node_port_allowed_cidrs
            ),
            *(
                IngressRule("tcp", cidr, 22, description="SSH from an allowed admin network")
                for cidr in s.ssh_allowed_cidrs
            ),
        ]
        self.master_group = SecurityGroup(
            f"{prefix}-master",
            SecurityGroupArgs(
                description="kubeadm control plane: API from allowed networks, the rest in-cluster",
                rules=[
                    from_members("tcp", API_PORT, None, "API server (nodes)"),
                    from_members("tcp", 2379, 2380, "etcd"),
                    *(
                        IngressRule("tcp", cidr, API_PORT, description="API server (admins)")
                        for cidr in s.api_allowed_cidrs
                    ),
                    *node_rules,
                ],
                egress=egress,
            ),
            child,
        )
        self.worker_group = SecurityGroup(
            f"{prefix}-worker",
            SecurityGroupArgs(
                description="kubeadm workers: in-cluster traffic", rules=node_rules, egress=egress
            ),
            child,
        )
        self.register_outputs(
            {
                "members_group_id": members,
                "master_group_id": self.master_group.group_id,
                "worker_group_id": self.worker_group.group_id,
            }
        )
