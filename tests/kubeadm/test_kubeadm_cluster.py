"""KubeadmCluster under mocks: every fact of the lab (docs/labs/kubernetes.md), one by one."""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.errors import ConfigError
from tests.alias_support import old_urns, record_aliases
from tests.harness import Recording
from tests.kubernetes.k8s_support import ADMIN_CERT_PEM, CA_CERT_HASH, CA_CERT_PEM, run_k8s_stack
from tests.openstack_types import FIP, FIP_ASSOC, NET, PORT, ROUTER, ROUTER_IF, RULE, SG, SUBNET, VM

RANDOM = "random:index/randomPassword:RandomPassword"
KEY = "tls:index/privateKey:PrivateKey"
CA = "tls:index/selfSignedCert:SelfSignedCert"
CSR = "tls:index/certRequest:CertRequest"
SIGNED = "tls:index/locallySignedCert:LocallySignedCert"
CLUSTER = "cloudlab:kubernetes:KubeadmCluster"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
API_CIDR = "198.51.100.0/24"
TOKEN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")


def config(**cluster: Any) -> dict[str, Any]:
    cluster.setdefault("apiAllowedCidrs", [API_CIDR])
    return {
        "cloudlab:kubernetes": cluster,
        "cloudlab:workload": {"image": "registry.test/fastapi-app:1.0"},
    }


def secret_value(value: Any) -> Any:
    """The plain value of a secret input; fails if the input is not secret."""
    assert isinstance(value, dict) and SECRET_SIG in value, f"not a secret: {value!r:.80}"
    return value["value"]


def rules(rec: Recording, group: str, direction: str = "ingress") -> list[dict[str, Any]]:
    return [
        r.inputs
        for r in rec.of_type(RULE)
        if r.inputs["securityGroupId"] == f"{group}-sg-id" and r.inputs["direction"] == direction
    ]


def user_data(rec: Recording, node: str) -> str:
    return secret_value(rec.named(f"k8s-{node}-vm").inputs["userData"])


def cloud_config(rec: Recording, node: str) -> dict[str, Any]:
    text = user_data(rec, node)
    assert text.startswith("#cloud-config\n")
    return yaml.safe_load(text)


def file_of(rec: Recording, node: str, path: str) -> dict[str, Any]:
    found = [f for f in cloud_config(rec, node)["write_files"] if f["path"] == path]
    assert len(found) == 1, f"{node}: {path} written {len(found)} times"
    return found[0]


@pytest.fixture(scope="module")
def lab() -> Recording:
    return run_k8s_stack("kubernetes", config())


@pytest.fixture(scope="module")
def open_lab() -> Recording:
    return run_k8s_stack(
        "kubernetes",
        config(
            workers=3,
            encapsulation="VXLAN",
            nodePortAllowedCidrs=["192.168.60.0/24", "203.0.113.0/24"],
            sshAllowedCidrs=["192.0.2.0/24"],
        ),
    )


class TestTopology:
    def test_resource_counts(self, lab: Recording) -> None:
        counts = lab.types()
        assert counts[VM] == 3
        assert counts[PORT] == 3
        assert counts[NET] == 1
        assert counts[SUBNET] == 1
        assert counts[ROUTER] == 1
        assert counts[ROUTER_IF] == 1
        assert counts[FIP] == 1
        assert counts[FIP_ASSOC] == 1
        assert counts[SG] == 3
        assert counts[RANDOM] == 2
        assert counts[KEY] == 2
        assert counts[CA] == 1
        assert counts[CSR] == 1
        assert counts[SIGNED] == 1

    def test_nodes_are_master_worker1_worker2(self, lab: Recording) -> None:
        assert sorted(r.inputs["name"] for r in lab.of_type(VM)) == [
            "k8s-master",
            "k8s-worker1",
            "k8s-worker2",
        ]
        for node in ("master", "worker1", "worker2"):
            assert cloud_config(lab, node)["hostname"] == node
            vm = lab.named(f"k8s-{node}-vm").inputs
            assert vm["imageName"] == "ubuntu_20"
            assert vm["networks"] == [{"port": f"k8s-{node}-port-id"}]

    def test_worker_count_follows_config(self, open_lab: Recording) -> None:
        assert sorted(r.inputs["name"] for r in open_lab.of_type(VM)) == [
            "k8s-master",
            "k8s-worker1",
            "k8s-worker2",
            "k8s-worker3",
        ]
        assert open_lab.exports["workerUrls"].keys() == {"worker1", "worker2", "worker3"}

    def test_private_network_and_router_to_public(self, lab: Recording) -> None:
        subnet = lab.named("k8s-private-subnet").inputs
        assert subnet["cidr"] == "192.168.60.0/24"
        assert subnet["networkId"] == "k8s-private-net-id"
        router = lab.named("k8s-edge-router").inputs
        assert router["externalNetworkId"] == "public-net-id"
        assert ("openstack:networking/getNetwork:getNetwork", {"name": "public"}) in [
            (token, {"name": args.get("name")}) for token, args in lab.calls
        ]
        leg = lab.named("k8s-edge-private-if").inputs
        assert leg["subnetId"] == "k8s-private-subnet-id"

    def test_floating_ip_on_the_master_only(self, lab: Recording) -> None:
        (fip,) = lab.of_type(FIP)
        assert fip.name == "k8s-master-fip"
        assert fip.inputs["pool"] == "public"
        (assoc,) = lab.of_type(FIP_ASSOC)
        assert assoc.inputs["portId"] == "k8s-master-port-id"
        # Bound only once the router reaches the external network.
        assert any("k8s-edge" in dep for dep in assoc.dependencies)

    def test_master_has_the_fixed_address_workers_join(self, lab: Recording) -> None:
        fixed = lab.named("k8s-master-port").inputs["fixedIps"]
        assert fixed == [{"subnetId": "k8s-private-subnet-id", "ipAddress": "192.168.60.10"}]
        # Workers take the next addresses: no DHCP race with the master's fixed one.
        for worker, ip in (("worker1", "192.168.60.11"), ("worker2", "192.168.60.12")):
            fixed = lab.named(f"k8s-{worker}-port").inputs["fixedIps"]
            assert fixed == [{"subnetId": "k8s-private-subnet-id", "ipAddress": ip}]

    def test_every_resource_belongs_to_the_cluster(self, lab: Recording) -> None:
        stack_level = {"k8s", "fastapi-app"}
        own = {"k8s-api-ready", "k8s-provider", "k8s-pki", "k8s-security"}
        for resource in lab:
            if resource.name in stack_level:
                assert resource.parent_type == "pulumi:pulumi:Stack"
            elif resource.name in own:
                assert resource.parent_type == CLUSTER, resource.name
            elif resource.typ.startswith("kubernetes:"):
                assert resource.parent_type == "cloudlab:kubernetes:FastApiApp"
            elif resource.typ.startswith(("random:", "tls:")):
                assert resource.parent_type == "cloudlab:kubernetes:ClusterPki", resource.name
            elif resource.typ == "cloudlab:openstack:SecurityGroup":
                assert resource.parent_type == "cloudlab:kubernetes:ClusterSecurityGroups"
            else:
                assert resource.name.startswith("k8s-"), resource.name
                if resource.typ.startswith("cloudlab:"):
                    # The reused OpenStack components hang off the cluster ...
                    assert resource.parent_type == CLUSTER, resource.name
                else:
                    # ... and every cloud resource off the cluster or one of them.
                    parent = resource.parent_type
                    assert parent == CLUSTER or parent.startswith("cloudlab:openstack:")


class TestAStackDeployedBeforeTheSplitKeepsItsResources:
    """The PKI and the security groups became child components, the provider the cluster's
    child: names unchanged, the URNs of before given as aliases. (The readiness gate changed
    type, from pulumi-command's to a dynamic resource: no alias can carry a resource across
    providers, see components/kubeadm/cluster.py.)"""

    @pytest.fixture
    def aliases(self, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
        found = record_aliases(monkeypatch)
        run_k8s_stack("kubernetes", config())
        return found

    @pytest.mark.parametrize(
        ("name", "typ", "new_parent", "old_parent"),
        [
            ("k8s-ca-key", "tls:index/privateKey:PrivateKey", "ClusterPki", CLUSTER),
            ("k8s-token-id", "random:index/randomPassword:RandomPassword", "ClusterPki", CLUSTER),
            ("k8s-admin-cert", "tls:index/locallySignedCert:LocallySignedCert", "ClusterPki",
             CLUSTER),
            ("k8s-master", "cloudlab:openstack:SecurityGroup", "ClusterSecurityGroups", CLUSTER),
            ("k8s-members", "cloudlab:openstack:SecurityGroup", "ClusterSecurityGroups", CLUSTER),
            ("k8s-provider", "pulumi:providers:kubernetes", "KubeadmCluster", None),
        ],
    )  # fmt: skip
    def test_moved_resource_aliases_its_old_urn(
        self, aliases: dict[str, list[Any]], name: str, typ: str, new_parent: str,
        old_parent: str | None,
    ) -> None:  # fmt: skip
        (urn,) = [u for u in aliases if u.endswith(f"::{name}") and u.split("::")[2].endswith(typ)]
        assert urn.split("::")[2] == f"cloudlab:kubernetes:{new_parent}${typ}"
        prefix = "::".join(urn.split("::")[:2])
        chain = f"{old_parent}${typ}" if old_parent else typ
        assert f"{prefix}::{chain}::{name}" in old_urns(urn, aliases[urn])


class TestSecurityGroups:
    def test_nodes_carry_the_members_group_and_their_role_group(self, lab: Recording) -> None:
        master = lab.named("k8s-master-port").inputs["securityGroupIds"]
        assert master == ["k8s-members-sg-id", "k8s-master-sg-id"]
        for worker in ("worker1", "worker2"):
            groups = lab.named(f"k8s-{worker}-port").inputs["securityGroupIds"]
            assert groups == ["k8s-members-sg-id", "k8s-worker-sg-id"]

    def test_members_group_allows_nothing_itself(self, lab: Recording) -> None:
        assert rules(lab, "k8s-members") == []

    def test_egress_only_to_the_sources_the_metadata_and_the_members(self, lab: Recording) -> None:
        """Neutron's allow-all egress is gone: every group lists its egress, the nodes' sources
        (HTTP and HTTPS for packages and images, DNS and NTP by default), the metadata service,
        and, from the role groups, the other members on any port."""
        sources = {
            ("tcp", 80, "0.0.0.0/0"),
            ("tcp", 443, "0.0.0.0/0"),
            ("tcp", 53, "0.0.0.0/0"),
            ("udp", 53, "0.0.0.0/0"),
            ("udp", 123, "0.0.0.0/0"),
            ("tcp", 80, "169.254.169.254/32"),
        }
        members = {("tcp", None, "k8s-members-sg-id"), ("udp", None, "k8s-members-sg-id")}
        members |= {("icmp", None, "k8s-members-sg-id"), ("4", None, "k8s-members-sg-id")}
        for group, expected in (
            ("k8s-members", sources),
            ("k8s-master", sources | members),
            ("k8s-worker", sources | members),
        ):
            found = {
                (
                    r["protocol"],
                    r.get("portRangeMin"),
                    r.get("remoteIpPrefix") or r.get("remoteGroupId"),
                )
                for r in rules(lab, group, "egress")
            }
            assert found == expected, group

    def test_api_from_allowed_cidrs_and_members_only(self, lab: Recording) -> None:
        api = [r for r in lab.of_type(RULE) if r.inputs.get("portRangeMin") == 6443]
        sources = sorted(
            (
                r.inputs["securityGroupId"],
                r.inputs.get("remoteIpPrefix", ""),
                r.inputs.get("remoteGroupId", ""),
            )
            for r in api
        )
        assert sources == [
            ("k8s-master-sg-id", "", "k8s-members-sg-id"),
            ("k8s-master-sg-id", API_CIDR, ""),
        ]
        assert all(r.inputs["portRangeMax"] == 6443 and r.inputs["protocol"] == "tcp" for r in api)

    @pytest.mark.parametrize(
        ("group", "protocol", "low", "high"),
        [
            ("k8s-master", "tcp", 10250, 10250),
            ("k8s-worker", "tcp", 10250, 10250),
            ("k8s-master", "tcp", 2379, 2380),
            ("k8s-master", "tcp", 179, 179),
            ("k8s-worker", "tcp", 179, 179),
            ("k8s-master", "4", None, None),
            ("k8s-worker", "4", None, None),
            ("k8s-worker", "tcp", 5473, 5473),
        ],
    )
    def test_cluster_ports_from_members_only(
        self, lab: Recording, group: str, protocol: str, low: int | None, high: int | None
    ) -> None:
        found = [
            r
            for r in rules(lab, group)
            if r["protocol"] == protocol and r.get("portRangeMin") == low
        ]
        assert len(found) == 1
        assert found[0].get("portRangeMax") == high
        assert found[0]["remoteGroupId"] == "k8s-members-sg-id"
        assert "remoteIpPrefix" not in found[0]
        assert found[0]["direction"] == "ingress"

    def test_only_the_api_rule_has_an_outside_source_by_default(self, lab: Recording) -> None:
        outside = [
            r.inputs
            for r in lab.of_type(RULE)
            if r.inputs.get("remoteIpPrefix") and r.inputs["direction"] == "ingress"
        ]
        assert [(r["portRangeMin"], r["remoteIpPrefix"]) for r in outside] == [(6443, API_CIDR)]

    def test_etcd_only_on_the_master(self, lab: Recording) -> None:
        assert not [r for r in rules(lab, "k8s-worker") if r.get("portRangeMin") == 2379]
        assert not [r for r in rules(lab, "k8s-worker") if r.get("portRangeMin") == 6443]

    def test_node_ports_and_ssh_from_configured_cidrs(self, open_lab: Recording) -> None:
        for group in ("k8s-master", "k8s-worker"):
            node_ports = sorted(
                r["remoteIpPrefix"]
                for r in rules(open_lab, group)
                if r.get("portRangeMin") == 30000
            )
            assert node_ports == ["192.168.60.0/24", "203.0.113.0/24"]
            assert all(
                r["portRangeMax"] == 32767
                for r in rules(open_lab, group)
                if r.get("portRangeMin") == 30000
            )
            ssh = [r for r in rules(open_lab, group) if r.get("portRangeMin") == 22]
            assert [r["remoteIpPrefix"] for r in ssh] == ["192.0.2.0/24"]

    def test_vxlan_replaces_bgp_and_ip_in_ip(self, open_lab: Recording) -> None:
        for group in ("k8s-master", "k8s-worker"):
            found = rules(open_lab, group)
            vxlan = [r for r in found if r["protocol"] == "udp"]
            assert [(r["portRangeMin"], r["remoteGroupId"]) for r in vxlan] == [
                (4789, "k8s-members-sg-id")
            ]
            assert not [r for r in found if r["protocol"] == "4" or r.get("portRangeMin") == 179]


class TestSecrets:
    def test_bootstrap_token_from_random_passwords(self, lab: Recording) -> None:
        parts = {r.name: r.inputs for r in lab.of_type(RANDOM)}
        assert parts.keys() == {"k8s-token-id", "k8s-token-secret"}
        assert parts["k8s-token-id"]["length"] == 6
        assert parts["k8s-token-secret"]["length"] == 16
        for inputs in parts.values():
            assert inputs["lower"] is True and inputs["numeric"] is True
            assert inputs["upper"] is False and inputs["special"] is False

    def test_cluster_ca_and_admin_certificate(self, lab: Recording) -> None:
        ca = lab.named("k8s-ca").inputs
        assert ca["isCaCertificate"] is True
        assert "cert_signing" in ca["allowedUses"]
        # pulumi-tls keeps private keys secret all the way.
        assert "MOCK-KEY-k8s-ca-key" in secret_value(ca["privateKeyPem"])
        signer_key = secret_value(lab.named("k8s-admin-cert").inputs["caPrivateKeyPem"])
        assert "MOCK-KEY-k8s-ca-key" in signer_key
        csr = lab.named("k8s-admin-csr").inputs
        assert csr["subject"]["organization"] == "system:masters"
        assert csr["subject"]["commonName"] == "kubernetes-admin"
        signed = lab.named("k8s-admin-cert").inputs
        assert signed["caCertPem"] == CA_CERT_PEM
        assert signed["certRequestPem"] == "CSR-k8s-admin-csr"
        assert "client_auth" in signed["allowedUses"]
        assert "isCaCertificate" not in signed or signed["isCaCertificate"] is False

    def test_user_data_is_secret_on_every_node(self, lab: Recording) -> None:
        for node in ("master", "worker1", "worker2"):
            secret_value(lab.named(f"k8s-{node}-vm").inputs["userData"])

    def test_kubeconfig_export_is_secret_and_built_from_the_certificates(
        self, lab: Recording
    ) -> None:
        assert "kubeconfig" in lab.secret_exports
        assert lab.secret_exports == {"kubeconfig"}
        kubeconfig = yaml.safe_load(lab.exports["kubeconfig"])
        (cluster,) = kubeconfig["clusters"]
        assert cluster["cluster"]["server"] == "https://203.0.113.1:6443"
        assert cluster["cluster"]["tls-server-name"] == "kubernetes"
        ca = base64.b64decode(cluster["cluster"]["certificate-authority-data"]).decode()
        assert ca == CA_CERT_PEM
        (user,) = kubeconfig["users"]
        assert base64.b64decode(user["user"]["client-certificate-data"]).decode() == ADMIN_CERT_PEM
        key = base64.b64decode(user["user"]["client-key-data"]).decode()
        assert "MOCK-KEY-k8s-admin-key" in key
        assert kubeconfig["current-context"] == kubeconfig["contexts"][0]["name"]

    def test_readiness_gate_gets_the_certificates_as_secrets(self, lab: Recording) -> None:
        gate = lab.named("k8s-api-ready").inputs
        assert gate["ca_cert_pem"] == CA_CERT_PEM
        assert "MOCK-KEY-k8s-admin-key" in secret_value(gate["client_key_pem"])
        plain = {k: v for k, v in gate.items() if k not in ("client_key_pem", "__provider")}
        assert "PRIVATE KEY" not in json.dumps(plain, default=str)


class TestUserData:
    def test_master_runs_kubeadm_init_with_the_pregenerated_ca_and_token(
        self, lab: Recording
    ) -> None:
        init = file_of(lab, "master", "/usr/local/sbin/cloudlab-k8s-init")["content"]
        assert "kubeadm init --config /etc/cloudlab/kubeadm.yaml --skip-token-print" in init
        assert file_of(lab, "master", "/etc/kubernetes/pki/ca.crt")["content"] == CA_CERT_PEM
        key = file_of(lab, "master", "/etc/kubernetes/pki/ca.key")
        assert key["permissions"] == "0600"
        assert "MOCK-KEY-k8s-ca-key" in key["content"]
        docs = list(
            yaml.safe_load_all(file_of(lab, "master", "/etc/cloudlab/kubeadm.yaml")["content"])
        )
        token = docs[0]["bootstrapTokens"][0]["token"]
        assert TOKEN.match(token)
        assert docs[0]["localAPIEndpoint"]["advertiseAddress"] == "192.168.60.10"
        assert docs[0]["nodeRegistration"]["name"] == "master"
        assert docs[1]["networking"]["podSubnet"] == "172.16.0.0/16"
        assert cloud_config(lab, "master")["runcmd"] == [
            ["systemctl", "enable", "--now", "cloudlab-metadata-guard.service"],
            ["/usr/local/sbin/cloudlab-k8s-install"],
            ["/usr/local/sbin/cloudlab-k8s-init"],
        ]

    def test_master_applies_calico_at_init(self, lab: Recording) -> None:
        init = file_of(lab, "master", "/usr/local/sbin/cloudlab-k8s-init")["content"]
        assert "projectcalico/calico/v3.26.4/manifests/tigera-operator.yaml" in init
        assert "kubectl apply -f /etc/cloudlab/calico-installation.yaml" in init
        installation = next(
            yaml.safe_load_all(
                file_of(lab, "master", "/etc/cloudlab/calico-installation.yaml")["content"]
            )
        )
        (pool,) = installation["spec"]["calicoNetwork"]["ipPools"]
        assert pool["cidr"] == "172.16.0.0/16"
        assert pool["encapsulation"] == "IPIP"

    @pytest.mark.parametrize("node", ["master", "worker1", "worker2"])
    def test_every_node_installs_containerd_and_kubernetes_1_28(
        self, lab: Recording, node: str
    ) -> None:
        script = file_of(lab, node, "/usr/local/sbin/cloudlab-k8s-install")["content"]
        assert (
            "apt-get install -y apt-transport-https ca-certificates curl gpg containerd" in script
        )
        assert "SystemdCgroup = true" in script
        assert "https://pkgs.k8s.io/core:/stable:/v1.28/deb/" in script
        assert "apt-get install -y kubelet kubeadm kubectl" in script
        assert "apt-mark hold kubelet kubeadm kubectl" in script

    @pytest.mark.parametrize("worker", ["worker1", "worker2"])
    def test_workers_join_pinning_the_ca(self, lab: Recording, worker: str) -> None:
        master_docs = yaml.safe_load_all(
            file_of(lab, "master", "/etc/cloudlab/kubeadm.yaml")["content"]
        )
        token = next(master_docs)["bootstrapTokens"][0]["token"]
        join = file_of(lab, worker, "/usr/local/sbin/cloudlab-k8s-join")["content"]
        assert "kubeadm join --config /etc/cloudlab/kubeadm-join.yaml" in join
        config = file_of(lab, worker, "/etc/cloudlab/kubeadm-join.yaml")
        assert config["permissions"] == "0600"
        discovery = yaml.safe_load(config["content"])["discovery"]["bootstrapToken"]
        assert discovery == {
            "apiServerEndpoint": "192.168.60.10:6443",
            "token": token,
            "caCertHashes": [CA_CERT_HASH],
        }
        assert cloud_config(lab, worker)["runcmd"][-1] == ["/usr/local/sbin/cloudlab-k8s-join"]

    @pytest.mark.parametrize("node", ["master", "worker1", "worker2"])
    def test_every_node_guards_the_metadata_service_first(self, lab: Recording, node: str) -> None:
        """Before anything is installed (so before any pod), at this boot and every later one."""
        assert cloud_config(lab, node)["runcmd"][0] == [
            "systemctl", "enable", "--now", "cloudlab-metadata-guard.service",
        ]  # fmt: skip
        guard = file_of(lab, node, "/usr/local/sbin/cloudlab-metadata-guard")
        assert "-t raw -I PREROUTING 1 -i cali+ -d 169.254.169.254/32 -j DROP" in guard["content"]
        unit = file_of(lab, node, "/etc/systemd/system/cloudlab-metadata-guard.service")
        assert "ExecStart=/usr/local/sbin/cloudlab-metadata-guard" in unit["content"]
        assert "Before=network-online.target containerd.service kubelet.service" in unit["content"]

    @pytest.mark.parametrize("node", ["master", "worker1", "worker2"])
    def test_ca_verification_is_never_skipped(self, lab: Recording, node: str) -> None:
        assert "unsafe-skip" not in user_data(lab, node)
        assert "unsafeSkipCAVerification" not in user_data(lab, node)

    @pytest.mark.parametrize("worker", ["worker1", "worker2"])
    def test_workers_get_neither_the_ca_key_nor_init(self, lab: Recording, worker: str) -> None:
        text = user_data(lab, worker)
        assert "PRIVATE KEY" not in text
        assert "kubeadm init" not in text


class TestOutputsAndOrdering:
    def test_exports(self, lab: Recording) -> None:
        assert lab.exports["apiEndpoint"] == "https://203.0.113.1:6443"
        assert lab.exports["masterPublicIp"] == "203.0.113.1"
        assert lab.exports["nodeAddresses"] == {
            "master": "192.168.60.10",
            "worker1": "192.168.60.11",
            "worker2": "192.168.60.12",
        }
        addresses = lab.exports["nodeAddresses"]
        assert lab.exports["workerUrls"] == {
            w: f"http://{addresses[w]}:31114/" for w in ("worker1", "worker2")
        }
        assert lab.exports["placement"] == "worker1"
        assert lab.exports["nodePort"] == 31114

    def test_kubernetes_waits_for_the_readiness_gate(self, lab: Recording) -> None:
        gate = lab.named("k8s-api-ready")
        # depends_on every node (the VMs), hence the master's API.
        for node in ("master", "worker1", "worker2"):
            assert lab.named(f"k8s-{node}-vm").urn in gate.dependencies
        assert gate.typ == "pulumi-python:dynamic/cloudlab/kubernetes:ApiReady"
        assert gate.inputs["triggers"] == ["k8s-master-vm-id"]
        assert gate.inputs["server"] == "https://203.0.113.1:6443"
        assert gate.inputs["nodes"] == ["master", "worker1", "worker2"]
        assert gate.inputs["timeout"] == 1200
        assert gate.inputs["tls_server_name"] == "kubernetes"
        assert gate.inputs["ca_cert_pem"] == CA_CERT_PEM
        assert gate.inputs["client_cert_pem"] == ADMIN_CERT_PEM
        assert "BEGIN RSA PRIVATE KEY" in secret_value(gate.inputs["client_key_pem"])
        provider = lab.named("k8s-provider")
        assert gate.urn in provider.dependencies
        assert secret_value(provider.inputs["kubeconfig"]) == lab.exports["kubeconfig"]
        providers = lab.providers  # type: ignore[attr-defined]
        for resource in lab:
            if resource.typ.startswith("kubernetes:"):
                assert providers[resource.name].startswith(provider.urn + "::")

    def test_no_input_names_this_machine(self, lab: Recording) -> None:
        """Portable: no interpreter, no checkout path in any input, the pickled dynamic provider
        included (by reference: its module path, nothing of this machine); no command at all."""
        here = (sys.executable, str(Path(__file__).resolve().parents[2]))
        for resource in lab:
            assert not {"create", "interpreter", "dir"} & set(resource.inputs), resource.name
            inputs = dict(resource.inputs)
            pickled = inputs.pop("__provider", None)
            texts = [json.dumps(inputs, default=str)]
            if pickled is not None:
                texts.append(base64.b64decode(secret_value(pickled)).decode("latin-1"))
            for text in texts:
                assert not [h for h in here if h in text], f"{resource.name} names this machine"
        gate = base64.b64decode(secret_value(lab.named("k8s-api-ready").inputs["__provider"]))
        assert b"components.dynamic.readiness" in gate


class TestConfigErrors:
    def test_api_cidrs_are_required(self) -> None:
        recording = Recording()
        with pytest.raises(ConfigError, match="apiAllowedCidrs"):
            run_k8s_stack("kubernetes", config(apiAllowedCidrs=[]), recording)
        assert recording.resources == []

    def test_placement_must_be_a_worker(self) -> None:
        cfg = config(workers=2)
        cfg["cloudlab:workload"]["placement"] = "worker3"
        recording = Recording()
        with pytest.raises(ConfigError, match=r"workload\.placement.*worker1, worker2"):
            run_k8s_stack("kubernetes", cfg, recording)
        assert recording.resources == []

    def test_image_is_required(self) -> None:
        cfg = config()
        del cfg["cloudlab:workload"]["image"]
        with pytest.raises(ConfigError, match=r"workload\.image"):
            run_k8s_stack("kubernetes", cfg)


class TestReadinessNone:
    """``readiness: none``: the cluster's infrastructure only, for a cloud that runs no server."""

    @pytest.fixture(scope="class")
    def bare(self) -> Recording:
        cfg = config(readiness="none")
        del cfg["cloudlab:workload"]
        return run_k8s_stack("kubernetes", cfg)

    def test_no_gate_no_provider_no_workload(self, bare: Recording, lab: Recording) -> None:
        assert not [r.name for r in bare if r.typ.startswith("kubernetes:")]
        assert not [r.name for r in bare if "ApiReady" in r.typ]
        assert "k8s-provider" not in [r.name for r in bare]
        # everything else is the same cluster as with the gate
        gone = {"k8s-api-ready", "k8s-provider", "fastapi-app"}
        same = {(r.typ, r.name) for r in lab if not r.typ.startswith("kubernetes:")}
        assert {(r.typ, r.name) for r in bare} == {(t, n) for t, n in same if n not in gone}
        assert len(bare.of_type(VM)) == 3

    def test_exports_access_only(self, bare: Recording) -> None:
        assert set(bare.exports) == {"kubeconfig", "apiEndpoint", "masterPublicIp", "nodeAddresses"}

    def test_api_cidrs_are_optional(self) -> None:
        """Nothing deploys through the API then: without CIDRs it is closed to the outside."""
        lab = run_k8s_stack("kubernetes", {"cloudlab:kubernetes": {"readiness": "none"}})
        assert [r for r in rules(lab, "k8s-master") if r.get("remoteIpPrefix")] == []
        assert len(lab.of_type(VM)) == 3

    def test_a_workload_is_refused(self) -> None:
        recording = Recording()
        with pytest.raises(ConfigError, match=r"cloudlab:workload.*readiness is none"):
            run_k8s_stack("kubernetes", config(readiness="none"), recording)
        assert recording.resources == []

    def test_an_unknown_readiness_is_refused(self) -> None:
        recording = Recording()
        with pytest.raises(ConfigError, match=r"kubernetes\.readiness.*wait or none"):
            run_k8s_stack("kubernetes", config(readiness="later"), recording)
        assert recording.resources == []
