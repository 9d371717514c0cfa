"""A kubeadm cluster on OpenStack VMs (LABS.md section 3): one master, N workers.

The nodes share one private network behind a router to the external network; only the
master has a floating IP (the API endpoint). Bootstrap secrets are resources, so nothing is
fetched from a node by SSH:

* the bootstrap token: two ``random.RandomString`` parts, ``[a-z0-9]{6}.[a-z0-9]{16}``;
* the cluster CA: ``tls.PrivateKey`` + ``tls.SelfSignedCert`` (is_ca_certificate), written to
  ``/etc/kubernetes/pki`` on the master before ``kubeadm init``, which then signs every other
  certificate with it; the workers pin its public key with
  ``--discovery-token-ca-cert-hash``;
* an admin client certificate (``system:masters``) signed by the CA
  (``tls.LocallySignedCert``), from which the kubeconfig is built.

Security groups: ``<name>-members`` carries no rule and marks the cluster's ports; the master's
and the workers' groups allow the control-plane and CNI ports from that group only, the API
(6443) from ``apiAllowedCidrs``, NodePorts and SSH from their CIDRs (closed when empty).
"""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack
import pulumi_random as random
import pulumi_tls as tls

from components.kubernetes.cloudinit import (
    MasterBootstrap,
    WorkerBootstrap,
    render_master_user_data,
    render_worker_user_data,
)
from components.kubernetes.pki import ca_cert_hash, render_kubeconfig
from components.kubernetes.settings import NODE_PORT_RANGE, ClusterSettings
from components.openstack.network import PrivateNetwork, PrivateNetworkArgs
from components.openstack.router import Router, RouterArgs, RouterInterfaceSpec
from components.openstack.security_group import IngressRule, SecurityGroup, SecurityGroupArgs
from components.openstack.vm import Vm, VmArgs

API_PORT = 6443
TLS_SERVER_NAME = "kubernetes"
"""A name every kubeadm API server certificate holds; the kubeconfig verifies against it."""
CA_VALIDITY_HOURS = 10 * 365 * 24
ADMIN_VALIDITY_HOURS = 365 * 24
ADMIN_EARLY_RENEWAL_HOURS = 30 * 24


def _token_part(name: str, length: int, opts: pulumi.ResourceOptions) -> random.RandomString:
    """One half of the bootstrap token; its ``result`` is encrypted in the state."""
    return random.RandomString(
        name,
        length=length,
        lower=True,
        numeric=True,
        upper=False,
        special=False,
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=["result"])
        ),
    )


class KubeadmCluster(pulumi.ComponentResource):
    """A master and ``settings.workers`` workers, joined by kubeadm, Calico as the CNI."""

    network: PrivateNetwork
    router: Router
    members_group: SecurityGroup
    master_group: SecurityGroup
    worker_group: SecurityGroup
    master: Vm
    workers: dict[str, Vm]
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
        self,
        name: str,
        settings: ClusterSettings,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cloudlab:kubernetes:KubeadmCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = settings

        # Bootstrap secrets, generated declaratively and kept in the (encrypted) state.
        token_id = _token_part(f"{name}-token-id", 6, child)
        token_secret = _token_part(f"{name}-token-secret", 16, child)
        self.bootstrap_token = pulumi.Output.secret(
            pulumi.Output.concat(token_id.result, ".", token_secret.result)
        )
        ca_key = tls.PrivateKey(f"{name}-ca-key", algorithm="RSA", rsa_bits=2048, opts=child)
        ca_cert = tls.SelfSignedCert(
            f"{name}-ca",
            private_key_pem=ca_key.private_key_pem,
            is_ca_certificate=True,
            subject=tls.SelfSignedCertSubjectArgs(common_name="kubernetes"),
            validity_period_hours=CA_VALIDITY_HOURS,
            allowed_uses=["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
            opts=child,
        )
        admin_key = tls.PrivateKey(f"{name}-admin-key", algorithm="RSA", rsa_bits=2048, opts=child)
        admin_csr = tls.CertRequest(
            f"{name}-admin-csr",
            private_key_pem=admin_key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(
                common_name="kubernetes-admin", organization="system:masters"
            ),
            opts=child,
        )
        admin_cert = tls.LocallySignedCert(
            f"{name}-admin-cert",
            cert_request_pem=admin_csr.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca_cert.cert_pem,
            validity_period_hours=ADMIN_VALIDITY_HOURS,
            early_renewal_hours=ADMIN_EARLY_RENEWAL_HOURS,
            allowed_uses=["client_auth", "digital_signature", "key_encipherment"],
            opts=child,
        )
        self.ca_cert_pem = ca_cert.cert_pem
        self.ca_cert_hash = ca_cert.cert_pem.apply(ca_cert_hash)
        self.admin_cert_pem = admin_cert.cert_pem
        self.admin_key_pem = pulumi.Output.secret(admin_key.private_key_pem)
        ca_key_pem = pulumi.Output.secret(ca_key.private_key_pem)

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

        # Security groups.
        self.members_group = SecurityGroup(
            f"{name}-members",
            SecurityGroupArgs(
                description="cluster members: the source the other groups allow", rules=[]
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
            f"{name}-master",
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
            ),
            child,
        )
        self.worker_group = SecurityGroup(
            f"{name}-worker",
            SecurityGroupArgs(description="kubeadm workers: in-cluster traffic", rules=node_rules),
            child,
        )

        # Nodes. Workers retry their join until the master answers, so they boot together.
        master_user_data = pulumi.Output.all(
            token=self.bootstrap_token, ca=self.ca_cert_pem, key=ca_key_pem
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
        self.register_outputs(
            {
                "api_endpoint": self.api_endpoint,
                "kubeconfig": self.kubeconfig,
                "node_addresses": self.node_addresses,
                "master_public_ip": self.master_public_ip,
            }
        )
