"""The stacks' URNs, pinned: the package split (components/kubernetes into the building blocks
and components/kubeadm, the lab) kept every type token, name and parent, so a stack deployed
before it updates in place.

Each list is what the code of before the split registered under mocks (the mock monitor writes
the direct parent's type before ``$``; the engine chains every ancestor's, from the same
registrations). A refactoring that changes one fails here: give the resource an alias, then
add the new URN with the reason.
"""

from __future__ import annotations

from pathlib import Path

from tests.kubernetes.k8s_support import run_k8s_stack

PREFIX = "urn:pulumi:stack::project::"
KUBERNETES = [
    # The token's halves were RandomStrings, whose ID (never encrypted) is their result: the
    # token stood in plain text in the state. RandomPasswords (ID "none"): changed on purpose.
    "cloudlab:kubernetes:ClusterPki$random:index/randomPassword:RandomPassword::k8s-token-id",
    "cloudlab:kubernetes:ClusterPki$random:index/randomPassword:RandomPassword::k8s-token-secret",
    "cloudlab:kubernetes:ClusterPki$tls:index/certRequest:CertRequest::k8s-admin-csr",
    "cloudlab:kubernetes:ClusterPki$tls:index/locallySignedCert:LocallySignedCert::k8s-admin-cert",
    "cloudlab:kubernetes:ClusterPki$tls:index/privateKey:PrivateKey::k8s-admin-key",
    "cloudlab:kubernetes:ClusterPki$tls:index/privateKey:PrivateKey::k8s-ca-key",
    "cloudlab:kubernetes:ClusterPki$tls:index/selfSignedCert:SelfSignedCert::k8s-ca",
    "cloudlab:kubernetes:ClusterSecurityGroups$cloudlab:openstack:SecurityGroup::k8s-master",
    "cloudlab:kubernetes:ClusterSecurityGroups$cloudlab:openstack:SecurityGroup::k8s-members",
    "cloudlab:kubernetes:ClusterSecurityGroups$cloudlab:openstack:SecurityGroup::k8s-worker",
    "cloudlab:kubernetes:FastApiApp$kubernetes:apps/v1:Deployment::fastapi-app-deployment",
    "cloudlab:kubernetes:FastApiApp$kubernetes:core/v1:Service::fastapi-app-clusterip",
    "cloudlab:kubernetes:FastApiApp$kubernetes:core/v1:Service::fastapi-app-nodeport",
    "cloudlab:kubernetes:KubeadmCluster$cloudlab:kubernetes:ClusterPki::k8s-pki",
    "cloudlab:kubernetes:KubeadmCluster$cloudlab:kubernetes:ClusterSecurityGroups::k8s-security",
    "cloudlab:kubernetes:KubeadmCluster$cloudlab:openstack:PrivateNetwork::k8s-private",
    "cloudlab:kubernetes:KubeadmCluster$cloudlab:openstack:Router::k8s-edge",
    "cloudlab:kubernetes:KubeadmCluster$cloudlab:openstack:Vm::k8s-master",
    "cloudlab:kubernetes:KubeadmCluster$cloudlab:openstack:Vm::k8s-worker1",
    "cloudlab:kubernetes:KubeadmCluster$cloudlab:openstack:Vm::k8s-worker2",
    # The readiness gate was a pulumi-command local.Command; it is a dynamic resource now (no
    # command string, no interpreter or checkout path): the one URN that changed, on purpose.
    "cloudlab:kubernetes:KubeadmCluster$pulumi-python:dynamic/cloudlab/kubernetes:ApiReady::k8s-api-ready",
    "cloudlab:kubernetes:KubeadmCluster$pulumi:providers:kubernetes::k8s-provider",
    "cloudlab:openstack:PrivateNetwork$openstack:networking/network:Network::k8s-private-net",
    "cloudlab:openstack:PrivateNetwork$openstack:networking/subnet:Subnet::k8s-private-subnet",
    "cloudlab:openstack:Router$openstack:networking/router:Router::k8s-edge-router",
    "cloudlab:openstack:Router$openstack:networking/routerInterface:RouterInterface::k8s-edge-private-if",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroup:SecGroup::k8s-master-sg",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroup:SecGroup::k8s-members-sg",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroup:SecGroup::k8s-worker-sg",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-4-from-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-icmp-from-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-tcp-10250-from-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-tcp-179-from-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-tcp-2379-2380-from-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-tcp-5473-from-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-tcp-6443-from-198-51-100-0-24",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-tcp-6443-from-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-4-from-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-icmp-from-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-tcp-10250-from-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-tcp-179-from-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-tcp-5473-from-members",
    "cloudlab:openstack:Vm$openstack:compute/instance:Instance::k8s-master-vm",
    "cloudlab:openstack:Vm$openstack:compute/instance:Instance::k8s-worker1-vm",
    "cloudlab:openstack:Vm$openstack:compute/instance:Instance::k8s-worker2-vm",
    "cloudlab:openstack:Vm$openstack:networking/floatingIp:FloatingIp::k8s-master-fip",
    "cloudlab:openstack:Vm$openstack:networking/floatingIpAssociate:FloatingIpAssociate::k8s-master-fip-assoc",
    "cloudlab:openstack:Vm$openstack:networking/port:Port::k8s-master-port",
    "cloudlab:openstack:Vm$openstack:networking/port:Port::k8s-worker1-port",
    "cloudlab:openstack:Vm$openstack:networking/port:Port::k8s-worker2-port",
    "pulumi:pulumi:Stack$cloudlab:kubernetes:FastApiApp::fastapi-app",
    "pulumi:pulumi:Stack$cloudlab:kubernetes:KubeadmCluster::k8s",
]
EGRESS_RULES = [
    # Added after the split, not renamed: the groups list their egress now (Neutron's allow-all
    # default dropped), one rule each; no existing URN changed for them.
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-egress-4-to-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-egress-icmp-to-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-egress-tcp-443-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-egress-tcp-53-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-egress-tcp-80-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-egress-tcp-80-to-169-254-169-254-32",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-egress-tcp-to-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-egress-udp-123-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-egress-udp-53-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-master-egress-udp-to-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-members-egress-tcp-443-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-members-egress-tcp-53-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-members-egress-tcp-80-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-members-egress-tcp-80-to-169-254-169-254-32",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-members-egress-udp-123-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-members-egress-udp-53-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-egress-4-to-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-egress-icmp-to-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-egress-tcp-443-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-egress-tcp-53-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-egress-tcp-80-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-egress-tcp-80-to-169-254-169-254-32",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-egress-tcp-to-members",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-egress-udp-123-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-egress-udp-53-to-0-0-0-0-0",
    "cloudlab:openstack:SecurityGroup$openstack:networking/secGroupRule:SecGroupRule::k8s-worker-egress-udp-to-members",
]
K8S_WORKLOAD = [
    "cloudlab:kubernetes:FastApiApp$kubernetes:apps/v1:Deployment::fastapi-app-deployment",
    "cloudlab:kubernetes:FastApiApp$kubernetes:core/v1:Service::fastapi-app-clusterip",
    "cloudlab:kubernetes:FastApiApp$kubernetes:core/v1:Service::fastapi-app-nodeport",
    "pulumi:pulumi:Stack$cloudlab:kubernetes:FastApiApp::fastapi-app",
    "pulumi:pulumi:Stack$pulumi:providers:kubernetes::k8s-provider",
]
KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n"
WORKLOAD = {"image": "registry.test/fastapi-app:1.0"}


def urns(module: str, config: dict) -> list[str]:
    return sorted(r.urn.removeprefix(PREFIX) for r in run_k8s_stack(module, config))


def test_the_kubernetes_stack_keeps_its_urns() -> None:
    config = {
        "cloudlab:kubernetes": {"apiAllowedCidrs": ["198.51.100.0/24"]},
        "cloudlab:workload": WORKLOAD,
    }
    assert urns("kubernetes", config) == sorted(KUBERNETES + EGRESS_RULES)


def test_the_k8s_workload_stack_keeps_its_urns(tmp_path: Path) -> None:
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    config = {
        "cloudlab:kubeconfigPath": str(tmp_path / "kubeconfig"),
        "cloudlab:workload": WORKLOAD,
    }
    assert urns("kubernetes_workload", config) == sorted(K8S_WORKLOAD)
