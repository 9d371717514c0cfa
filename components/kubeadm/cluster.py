"""A kubeadm cluster on OpenStack VMs (``docs/labs/kubernetes.md``): one master, N workers, ready.

The nodes share one private network behind a router to the external network; only the
master has a floating IP (the API endpoint). Bootstrap secrets are resources
(:class:`~components.kubeadm.cluster_pki.ClusterPki`), so nothing is fetched from a node by
SSH; the security groups are :class:`~components.kubeadm.cluster_security.ClusterSecurityGroups`.

The cluster owns what makes it usable from the program that built it: after the VMs (which
install and join by themselves), a readiness gate (:class:`~components.dynamic.readiness.ApiReady`,
a dynamic resource whose create polls ``/readyz`` and the node list through the floating IP
with the admin certificate, bounded by ``readyTimeoutSeconds``), then a Kubernetes provider fed
by the cluster's kubeconfig that ``depends_on`` the gate, so no Kubernetes call races the boot.
Give ``cluster.provider`` to the workloads.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_openstack as openstack

from components.dynamic.readiness import ApiReady, ApiReadyArgs
from components.kubeadm.cloudinit import (
    MasterBootstrap,
    WorkerBootstrap,
    render_master_user_data,
    render_worker_user_data,
)
from components.kubeadm.cluster_pki import ClusterPki, ClusterPkiArgs
from components.kubeadm.cluster_security import (
    API_PORT,
    ClusterSecurityGroups,
    ClusterSecurityGroupsArgs,
)
from components.kubeadm.settings import ClusterSettings
from components.kubernetes.kubeconfig import render_kubeconfig
from components.openstack.network import PrivateNetwork, PrivateNetworkArgs
from components.openstack.router import Router, RouterArgs, RouterInterfaceSpec
from components.openstack.security_group import SecurityGroup
from components.openstack.vm import Vm, VmArgs

__all__ = ["API_PORT", "TLS_SERVER_NAME", "KubeadmCluster", "KubeadmClusterArgs"]

TLS_SERVER_NAME = "kubernetes"
"""A name every kubeadm API server certificate holds; the kubeconfig verifies against it."""
ROOT = pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)
"""Where the provider sat before the cluster owned it: the stack's top level."""


@dataclass
class KubeadmClusterArgs:
    """Arguments of :class:`KubeadmCluster`."""

    settings: ClusterSettings
    """Nodes, versions, networks, CNI, allowed CIDRs and the readiness timeout."""


class KubeadmCluster(pulumi.ComponentResource):
    """A master and ``settings.workers`` workers, joined by kubeadm, Calico as the CNI, with a
    readiness gate and a Kubernetes provider that waits for it."""

    pki: ClusterPki
    network: PrivateNetwork
    router: Router
    security_groups: ClusterSecurityGroups
    members_group: SecurityGroup
    master_group: SecurityGroup
    worker_group: SecurityGroup
    master: Vm
    workers: dict[str, Vm]
    ready: ApiReady | None
    """The readiness gate: done once the API answers and every node is Ready (``None`` with
    ``readiness: none``)."""
    provider: k8s.Provider | None
    """The cluster's Kubernetes provider (admin kubeconfig), used only after the gate."""
    bootstrap_token: pulumi.Output[str]
    ca_cert_pem: pulumi.Output[str]
    ca_cert_hash: pulumi.Output[str]
    admin_cert_pem: pulumi.Output[str]
    admin_key_pem: pulumi.Output[str]
    master_public_ip: pulumi.Output[str]
    api_endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    node_addresses: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: KubeadmClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:kubernetes:KubeadmCluster", name, None, opts)
        self._name, s = name, args.settings
        child = pulumi.ResourceOptions(parent=self)

        # Bootstrap secrets, generated declaratively and kept in the (encrypted) state.
        self.pki = ClusterPki(f"{name}-pki", ClusterPkiArgs(cluster_name=name), child)
        self.bootstrap_token = self.pki.bootstrap_token
        self.ca_cert_pem = self.pki.ca_cert_pem
        self.ca_cert_hash = self.pki.ca_cert_hash
        self.admin_cert_pem = self.pki.admin_cert_pem
        self.admin_key_pem = self.pki.admin_key_pem

        # Network: one private subnet, a router to the external network.
        external = openstack.networking.get_network_output(
            name=s.external_network, opts=pulumi.InvokeOptions(parent=self)
        )
        self.network = PrivateNetwork(
            f"{name}-private", PrivateNetworkArgs(cidr=s.network_cidr), child
        )
        self.router = Router(
            f"{name}-edge",
            RouterArgs(
                interfaces=[RouterInterfaceSpec("private", self.network)],
                external_network_id=external.id,
            ),
            child,
        )
        self.security_groups = ClusterSecurityGroups(
            f"{name}-security",
            ClusterSecurityGroupsArgs(settings=s, cluster_name=name),
            child,
        )
        self.members_group = self.security_groups.members_group
        self.master_group = self.security_groups.master_group
        self.worker_group = self.security_groups.worker_group

        self._nodes(s)
        self.master_public_ip = pulumi.Output.from_input(self.master.public_ip).apply(str)
        self.api_endpoint = pulumi.Output.concat("https://", self.master_public_ip, f":{API_PORT}")
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(
                server=self.api_endpoint,
                ca=self.ca_cert_pem,
                cert=self.admin_cert_pem,
                key=self.admin_key_pem,
            ).apply(
                lambda v: render_kubeconfig(
                    cluster=name,
                    server=v["server"],
                    ca_cert_pem=v["ca"],
                    client_cert_pem=v["cert"],
                    client_key_pem=v["key"],
                    tls_server_name=TLS_SERVER_NAME,
                )
            )
        )
        self.node_addresses = {
            "master": self.master.private_ip,
            **{worker: vm.private_ip for worker, vm in self.workers.items()},
        }
        self.ready, self.provider = None, None
        if s.readiness == "wait":
            self._ready_provider(s)
        self.register_outputs(
            {
                "api_endpoint": self.api_endpoint,
                "kubeconfig": self.kubeconfig,
                "node_addresses": self.node_addresses,
                "master_public_ip": self.master_public_ip,
            }
        )

    def _nodes(self, s: ClusterSettings) -> None:
        """The master and the workers. Workers retry their join until the master answers, so
        they boot together."""
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        members = self.members_group.group_id
        master_user_data = pulumi.Output.all(
            token=self.bootstrap_token, ca=self.ca_cert_pem, key=self.pki.ca_key_pem
        ).apply(
            lambda v: render_master_user_data(
                MasterBootstrap(
                    node_name="master",
                    kubernetes_version=s.kubernetes_version,
                    master_ip=s.master_ip,
                    bootstrap_token=v["token"],
                    token_ttl=s.bootstrap_token_ttl,
                    ca_cert_pem=v["ca"],
                    ca_key_pem=v["key"],
                    pod_cidr=s.pod_cidr,
                    service_cidr=s.service_cidr,
                    calico_version=s.calico_version,
                    encapsulation=s.encapsulation,
                    cluster_name=name,
                )
            )
        )
        self.master = Vm(
            f"{name}-master",
            VmArgs(
                network=self.network,
                image=s.image,
                flavor=s.flavor,
                key_pair=s.key_pair,
                fixed_ip=s.master_ip,
                security_group_ids=[members, self.master_group.group_id],
                user_data=pulumi.Output.secret(master_user_data),
                floating_ip_pool=s.external_network,
                # Neutron binds a floating IP only once the subnet reaches the external network.
                floating_ip_after=[self.router],
            ),
            child,
        )
        self.workers = {}
        for worker in s.worker_names:
            user_data = pulumi.Output.all(token=self.bootstrap_token, pin=self.ca_cert_hash).apply(
                lambda v, worker=worker: render_worker_user_data(
                    WorkerBootstrap(
                        node_name=worker,
                        kubernetes_version=s.kubernetes_version,
                        master_ip=s.master_ip,
                        bootstrap_token=v["token"],
                        ca_cert_hash=v["pin"],
                    )
                )
            )
            self.workers[worker] = Vm(
                f"{name}-{worker}",
                VmArgs(
                    network=self.network,
                    image=s.image,
                    flavor=s.flavor,
                    key_pair=s.key_pair,
                    fixed_ip=s.node_ips[worker],
                    security_group_ids=[members, self.worker_group.group_id],
                    user_data=pulumi.Output.secret(user_data),
                ),
                child,
            )

    def _ready_provider(self, s: ClusterSettings) -> None:
        """The readiness gate after every node, and the provider after the gate."""
        name = self._name
        # The gate was a pulumi-command ``local.Command`` (type command:local:Command) running
        # this interpreter on this checkout: its type changes, so a stack deployed with it sees
        # the old gate deleted and this one created (nothing else is replaced: the provider
        # only depends on it), once.
        self.ready = ApiReady(
            f"{name}-api-ready",
            ApiReadyArgs(
                server=self.api_endpoint,
                nodes=s.node_names,
                ca_cert_pem=self.ca_cert_pem,
                client_cert_pem=self.admin_cert_pem,
                client_key_pem=self.admin_key_pem,
                tls_server_name=TLS_SERVER_NAME,
                timeout=float(s.ready_timeout_seconds),
                # A replaced master is a new cluster: wait for it again.
                triggers=[self.master.instance.id],
            ),
            pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.network, self.router, self.master, *self.workers.values()],
            ),
        )
        self.provider = k8s.Provider(
            f"{name}-provider",
            kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self, aliases=[ROOT], depends_on=[self.ready]),
        )
