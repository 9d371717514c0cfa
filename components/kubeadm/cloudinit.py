"""Cloud-init user data of the kubeadm nodes: pure functions from typed inputs to YAML.

Every node installs containerd (systemd cgroups) and kubeadm/kubelet/kubectl of one
Kubernetes minor from pkgs.k8s.io. The master gets the pre-generated cluster CA in
``/etc/kubernetes/pki`` (kubeadm then signs everything else with it), runs ``kubeadm init``
with the pre-generated bootstrap token, and applies Calico through the Tigera operator. The
workers retry ``kubeadm join`` until the master answers, pinning the CA with
``--discovery-token-ca-cert-hash``; CA verification is never skipped.

Secrets and logs: the token reaches kubeadm only through 0600 config files
(``kubeadm.yaml``, ``kubeadm-join.yaml``), never a command line that ``set -x``, the journal or
``/proc/<pid>/cmdline`` would show, and ``kubeadm init`` runs with ``--skip-token-print``.
The master's user data holds the CA key and the token, the workers' the token and the CA's
public-key pin: callers wrap them in ``pulumi.Output.secret``.

Why the CA key is in the master's user data, and what protects it: Pulumi generates the CA so
that the workers' pin and the admin kubeconfig are known before any node boots (nothing is
fetched from a node by SSH), and kubeadm's controller-manager must hold the CA key to sign the
kubelets' certificates when they join, so the key has to reach the master; the only channel to
a new server that needs no credential on it is its user data. The metadata service keeps
serving the user data for the server's life, so every node runs :data:`METADATA_GUARD` before
anything else: pods (Calico's ``cali*`` interfaces) never reach 169.254.169.254, and on the
node only root (cloud-init) does. See ``docs/security-kubeadm.md``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import yaml

KEYRING = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg"
CONFIG_DIR = "/etc/cloudlab"
INSTALL_SCRIPT = "/usr/local/sbin/cloudlab-k8s-install"
JOIN_SCRIPT = "/usr/local/sbin/cloudlab-k8s-join"
JOIN_CONFIG = f"{CONFIG_DIR}/kubeadm-join.yaml"
INIT_SCRIPT = "/usr/local/sbin/cloudlab-k8s-init"
METADATA_ADDRESS = "169.254.169.254"
"""The instance metadata service (OpenStack's, as EC2's): it serves the user data."""
POD_INTERFACES = "cali+"
"""Calico names every pod's host-side veth ``cali<hash>``: what comes in on one is a pod's."""
METADATA_GUARD_SCRIPT = "/usr/local/sbin/cloudlab-metadata-guard"
METADATA_GUARD_UNIT = "cloudlab-metadata-guard.service"
JOIN_ATTEMPTS = 90
JOIN_INTERVAL_SECONDS = 10
CRI_SOCKET = "unix:///var/run/containerd/containerd.sock"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (scripts, PEM blocks) written as readable literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _dump(document: object) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=1000)


@dataclass(frozen=True)
class NodeBootstrap:
    """What every node needs to install Kubernetes."""

    node_name: str
    """Hostname and Kubernetes node name (master, worker1, ...)."""
    kubernetes_version: str
    """``1.28`` (latest patch of the minor) or ``1.28.2`` (that patch)."""
    master_ip: str
    """The master's private address: the API endpoint inside the cluster."""

    @property
    def minor(self) -> str:
        return ".".join(self.kubernetes_version.split(".")[:2])

    @property
    def kubeadm_api(self) -> str:
        """kubeadm's config API: v1beta3 up to 1.30, v1beta4 from 1.31."""
        return (
            "kubeadm.k8s.io/v1beta4"
            if int(self.minor.split(".")[1]) >= 31
            else ("kubeadm.k8s.io/v1beta3")
        )


@dataclass(frozen=True)
class MasterBootstrap(NodeBootstrap):
    """The control plane's inputs."""

    bootstrap_token: str = ""
    """``[a-z0-9]{6}.[a-z0-9]{16}``, pre-generated so workers know it before the master boots."""
    token_ttl: str = "24h0m0s"
    ca_cert_pem: str = ""
    ca_key_pem: str = ""
    pod_cidr: str = "172.16.0.0/16"
    service_cidr: str = "10.96.0.0/12"
    calico_version: str = "v3.26.4"
    encapsulation: str = "IPIP"
    cluster_name: str = "cloudlab"


@dataclass(frozen=True)
class WorkerBootstrap(NodeBootstrap):
    """A worker's inputs."""

    bootstrap_token: str = ""
    ca_cert_hash: str = ""
    """``sha256:<hex>`` of the CA's SubjectPublicKeyInfo."""


def install_script(node: NodeBootstrap) -> str:
    """Shell script installing containerd and kubeadm/kubelet/kubectl, idempotently."""
    repo = f"https://pkgs.k8s.io/core:/stable:/v{node.minor}/deb/"
    pin = ""
    if node.kubernetes_version != node.minor:
        pin = f"='{node.kubernetes_version}-*'"
    packages = " ".join(f"{name}{pin}" for name in ("kubelet", "kubeadm", "kubectl"))
    return f"""#!/bin/bash
# containerd and Kubernetes {node.kubernetes_version} from pkgs.k8s.io, as in the lab.
set -euxo pipefail
export DEBIAN_FRONTEND=noninteractive
swapoff -a
sed -i '/\\sswap\\s/ s/^#*/#/' /etc/fstab
modprobe overlay
modprobe br_netfilter
sysctl --system
apt-get update
apt-get install -y apt-transport-https ca-certificates curl gpg containerd
mkdir -p /etc/containerd
containerd config default > /etc/containerd/config.toml
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml
systemctl restart containerd
systemctl enable containerd
mkdir -p -m 755 /etc/apt/keyrings
curl -fsSL {repo}Release.key | gpg --batch --yes --dearmor -o {KEYRING}
echo 'deb [signed-by={KEYRING}] {repo} /' > /etc/apt/sources.list.d/kubernetes.list
apt-get update
apt-get install -y {packages}
apt-mark hold kubelet kubeadm kubectl
systemctl enable kubelet
"""


def metadata_guard_script() -> str:
    """iptables rules that keep the metadata service (and the user data it serves) from pods and
    from the node's unprivileged processes. Idempotent (``-C`` before ``-I``): run at every boot.

    Pods: a DROP in the ``raw`` table's PREROUTING for packets that come in on a pod interface.
    ``raw`` runs before conntrack and before the filter chains where Calico ACCEPTs what its
    policies allow (its FORWARD rules would win over a DROP placed after them, and Calico keeps
    its own jumps first); Calico's raw chain only marks pod packets and returns. A Calico or
    Kubernetes NetworkPolicy would do too, but any namespace admin can delete a namespaced one,
    and a GlobalNetworkPolicy selecting every pod puts each one under Calico's end-of-tier deny
    (Calico's tiers, the clean fix, are not in the open-source v3.26 the lab uses). Pods on the
    host network share the node's stack: they are the node, as kube-proxy and calico-node are.

    The node: an OUTPUT DROP for every process but root's (``-m owner``): cloud-init, which
    runs as root, still reads the metadata; a user's shell or a service account does not.
    """
    address = f"{METADATA_ADDRESS}/32"
    pods = f"-i {POD_INTERFACES} -d {address} -j DROP"
    users = f"-d {address} -m owner ! --uid-owner 0 -j DROP"
    return f"""#!/bin/sh
# Pods and unprivileged processes never reach the instance metadata service (it serves this
# node's user data: the bootstrap token, and on the master the cluster CA key).
set -eu
iptables -w -t raw -C PREROUTING {pods} 2>/dev/null \\
  || iptables -w -t raw -I PREROUTING 1 {pods}
iptables -w -C OUTPUT {users} 2>/dev/null \\
  || iptables -w -I OUTPUT 1 {users}
"""


def metadata_guard_unit() -> str:
    """A boot-time oneshot that applies :func:`metadata_guard_script` before the kubelet and
    containerd start (so before any pod), at every boot."""
    return f"""[Unit]
Description=Keep pods and unprivileged processes from the instance metadata service
DefaultDependencies=no
After=network-pre.target
Before=network-online.target containerd.service kubelet.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart={METADATA_GUARD_SCRIPT}

[Install]
WantedBy=multi-user.target
"""


def _guard_runcmd() -> list[list[str]]:
    """First of every node's runcmd: the guard now, and at every later boot."""
    return [["systemctl", "enable", "--now", METADATA_GUARD_UNIT]]


def _common_files(node: NodeBootstrap) -> list[dict[str, str]]:
    return [
        {
            "path": METADATA_GUARD_SCRIPT,
            "permissions": "0755",
            "content": metadata_guard_script(),
        },
        {
            "path": f"/etc/systemd/system/{METADATA_GUARD_UNIT}",
            "permissions": "0644",
            "content": metadata_guard_unit(),
        },
        {
            "path": "/etc/modules-load.d/k8s.conf",
            "permissions": "0644",
            "content": "overlay\nbr_netfilter\n",
        },
        {
            "path": "/etc/sysctl.d/k8s.conf",
            "permissions": "0644",
            "content": (
                "net.bridge.bridge-nf-call-iptables = 1\n"
                "net.bridge.bridge-nf-call-ip6tables = 1\n"
                "net.ipv4.ip_forward = 1\n"
            ),
        },
        {"path": INSTALL_SCRIPT, "permissions": "0755", "content": install_script(node)},
    ]


def kubeadm_init_config(master: MasterBootstrap) -> str:
    """kubeadm's InitConfiguration, ClusterConfiguration and KubeletConfiguration."""
    endpoint = f"{master.master_ip}:6443"
    init = {
        "apiVersion": master.kubeadm_api,
        "kind": "InitConfiguration",
        "bootstrapTokens": [
            {
                "token": master.bootstrap_token,
                "ttl": master.token_ttl,
                "groups": ["system:bootstrappers:kubeadm:default-node-token"],
                "usages": ["signing", "authentication"],
            }
        ],
        "localAPIEndpoint": {"advertiseAddress": master.master_ip, "bindPort": 6443},
        "nodeRegistration": {"name": master.node_name, "criSocket": CRI_SOCKET},
    }
    cluster = {
        "apiVersion": master.kubeadm_api,
        "kind": "ClusterConfiguration",
        "clusterName": master.cluster_name,
        "controlPlaneEndpoint": endpoint,
        "networking": {"podSubnet": master.pod_cidr, "serviceSubnet": master.service_cidr},
        # The kubeconfig reaches the floating IP with tls-server-name "kubernetes", always a SAN.
        "apiServer": {"certSANs": [master.master_ip, master.node_name, "kubernetes"]},
    }
    kubelet = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "cgroupDriver": "systemd",
    }
    return yaml.safe_dump_all([init, cluster, kubelet], sort_keys=False)


def calico_installation(master: MasterBootstrap) -> str:
    """The Tigera operator's Installation: one IP pool on the pod CIDR, IPIP or VXLAN."""
    installation = {
        "apiVersion": "operator.tigera.io/v1",
        "kind": "Installation",
        "metadata": {"name": "default"},
        "spec": {
            "calicoNetwork": {
                # IP-in-IP rides on BGP routes; VXLAN needs no BGP.
                "bgp": "Enabled" if master.encapsulation == "IPIP" else "Disabled",
                "ipPools": [
                    {
                        "cidr": master.pod_cidr,
                        "encapsulation": master.encapsulation,
                        "natOutgoing": "Enabled",
                        "nodeSelector": "all()",
                        "blockSize": 26,
                    }
                ],
                "nodeAddressAutodetectionV4": {"kubernetes": "NodeInternalIP"},
            }
        },
    }
    api_server = {
        "apiVersion": "operator.tigera.io/v1",
        "kind": "APIServer",
        "metadata": {"name": "default"},
        "spec": {},
    }
    return yaml.safe_dump_all([installation, api_server], sort_keys=False)


def tigera_operator_url(calico_version: str) -> str:
    """The operator manifest of one Calico release."""
    return (
        f"https://raw.githubusercontent.com/projectcalico/calico/{calico_version}"
        "/manifests/tigera-operator.yaml"
    )


def init_script(master: MasterBootstrap) -> str:
    """kubeadm init with the pre-generated CA and token, then Calico."""
    return f"""#!/bin/bash
# Control plane: kubeadm init (CA and token pre-generated by Pulumi), then the CNI.
set -euxo pipefail
# --skip-token-print: the token stays out of this output (the console log and the journal).
test -f /etc/kubernetes/admin.conf \\
  || kubeadm init --config {CONFIG_DIR}/kubeadm.yaml --skip-token-print
export KUBECONFIG=/etc/kubernetes/admin.conf
kubectl get deployment -n tigera-operator tigera-operator \\
  || kubectl create -f {tigera_operator_url(master.calico_version)}
kubectl wait --for condition=established --timeout=300s crd/installations.operator.tigera.io
kubectl apply -f {CONFIG_DIR}/calico-installation.yaml
install -d -o ubuntu -g ubuntu -m 0700 /home/ubuntu/.kube
install -o ubuntu -g ubuntu -m 0600 /etc/kubernetes/admin.conf /home/ubuntu/.kube/config
"""


def kubeadm_join_config(worker: WorkerBootstrap) -> str:
    """kubeadm's JoinConfiguration: the token and the CA pin (never
    ``unsafeSkipCAVerification``), read by ``kubeadm join --config`` from a 0600 file."""
    join = {
        "apiVersion": worker.kubeadm_api,
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {
                "apiServerEndpoint": f"{worker.master_ip}:6443",
                "token": worker.bootstrap_token,
                "caCertHashes": [worker.ca_cert_hash],
            }
        },
        "nodeRegistration": {"name": worker.node_name, "criSocket": CRI_SOCKET},
    }
    return yaml.safe_dump(join, sort_keys=False)


def join_command() -> list[str]:
    """``kubeadm join`` reading :func:`kubeadm_join_config`: no secret on the command line."""
    return ["kubeadm", "join", "--config", JOIN_CONFIG]


def join_script(worker: WorkerBootstrap) -> str:
    """Retry the join until the master's API answers (the nodes boot together)."""
    command = shlex.join(join_command())
    return f"""#!/bin/bash
# Join the cluster; the master may still be booting, so retry a bounded number of times.
# The token is in {JOIN_CONFIG} (0600), so this trace shows none.
set -uxo pipefail
test -f /etc/kubernetes/kubelet.conf && exit 0
for attempt in $(seq 1 {JOIN_ATTEMPTS}); do
  {command} && exit 0
  echo "join attempt $attempt failed; retrying in {JOIN_INTERVAL_SECONDS}s" >&2
  kubeadm reset --force --cri-socket {CRI_SOCKET} || true
  sleep {JOIN_INTERVAL_SECONDS}
done
exit 1
"""


def render_master_user_data(master: MasterBootstrap) -> str:
    """#cloud-config of the master."""
    if not master.bootstrap_token or not master.ca_cert_pem or not master.ca_key_pem:
        raise ValueError("the master needs the bootstrap token, the CA certificate and its key")
    files = [
        *_common_files(master),
        {
            "path": "/etc/kubernetes/pki/ca.crt",
            "permissions": "0644",
            "content": master.ca_cert_pem,
        },
        {"path": "/etc/kubernetes/pki/ca.key", "permissions": "0600", "content": master.ca_key_pem},
        {
            "path": f"{CONFIG_DIR}/kubeadm.yaml",
            "permissions": "0600",
            "content": kubeadm_init_config(master),
        },
        {
            "path": f"{CONFIG_DIR}/calico-installation.yaml",
            "permissions": "0644",
            "content": calico_installation(master),
        },
        {"path": INIT_SCRIPT, "permissions": "0700", "content": init_script(master)},
    ]
    document = {
        "hostname": master.node_name,
        "preserve_hostname": False,
        "write_files": files,
        "runcmd": [*_guard_runcmd(), [INSTALL_SCRIPT], [INIT_SCRIPT]],
    }
    return "#cloud-config\n" + _dump(document)


def render_worker_user_data(worker: WorkerBootstrap) -> str:
    """#cloud-config of one worker."""
    if not worker.bootstrap_token or not worker.ca_cert_hash.startswith("sha256:"):
        raise ValueError("a worker needs the bootstrap token and a sha256: CA pin")
    files = [
        *_common_files(worker),
        {"path": JOIN_CONFIG, "permissions": "0600", "content": kubeadm_join_config(worker)},
        {"path": JOIN_SCRIPT, "permissions": "0700", "content": join_script(worker)},
    ]
    document = {
        "hostname": worker.node_name,
        "preserve_hostname": False,
        "write_files": files,
        "runcmd": [*_guard_runcmd(), [INSTALL_SCRIPT], [JOIN_SCRIPT]],
    }
    return "#cloud-config\n" + _dump(document)
