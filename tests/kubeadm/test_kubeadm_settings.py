"""Settings of the kubeadm lab: the lab's values by default, every bad value named."""

from __future__ import annotations

from typing import Any

import pytest

from components.errors import ConfigError
from components.kubeadm.settings import check_placement, parse_cluster_settings
from components.kubernetes.settings import parse_workload_settings


def test_cluster_defaults_are_the_lab() -> None:
    s = parse_cluster_settings(None)
    assert s.node_names == ["master", "worker1", "worker2"]
    assert s.kubernetes_version == "1.28"
    assert s.pod_cidr == "172.16.0.0/16"
    assert s.image == "ubuntu_20"
    assert s.external_network == "public"
    assert s.api_allowed_cidrs == ()
    assert s.node_port_allowed_cidrs == ()
    assert s.ssh_allowed_cidrs == ()
    assert s.encapsulation == "IPIP"


def test_network_moves_the_default_master_and_workers() -> None:
    s = parse_cluster_settings({"networkCidr": "10.0.5.0/24", "workers": 3})
    assert s.node_ips == {
        "master": "10.0.5.10",
        "worker1": "10.0.5.11",
        "worker2": "10.0.5.12",
        "worker3": "10.0.5.13",
    }


def test_patch_version_keeps_its_minor() -> None:
    assert parse_cluster_settings({"kubernetesVersion": "1.29.3"}).kubernetes_minor == "1.29"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"flannel": True}, "cloudlab:kubernetes.flannel"),
        ({"workers": 0}, "cloudlab:kubernetes.workers"),
        ({"workers": "two"}, "cloudlab:kubernetes.workers"),
        ({"kubernetesVersion": "1.2x"}, "cloudlab:kubernetes.kubernetesVersion"),
        ({"kubernetesVersion": "1.20"}, "cloudlab:kubernetes.kubernetesVersion"),
        ({"encapsulation": "flannel"}, "cloudlab:kubernetes.encapsulation"),
        ({"podCidr": "192.168.60.0/22"}, "cloudlab:kubernetes.podCidr"),
        ({"serviceCidr": "172.16.128.0/20"}, "cloudlab:kubernetes.serviceCidr"),
        ({"podCidr": "172.16.0.1/16"}, "cloudlab:kubernetes.podCidr"),
        ({"masterIp": "10.0.0.10"}, "cloudlab:kubernetes.masterIp"),
        ({"masterIp": "192.168.60.253"}, "cloudlab:kubernetes.masterIp"),
        ({"masterIp": "192.168.60.3"}, "cloudlab:kubernetes.masterIp"),
        ({"apiAllowedCidrs": ["nowhere"]}, "cloudlab:kubernetes.apiAllowedCidrs[0]"),
        (  # each CIDR is a security-group rule; Neutron refuses a duplicate
            {"apiAllowedCidrs": ["198.51.100.0/24", "198.51.100.0/24"]},
            "cloudlab:kubernetes.apiAllowedCidrs[1]",
        ),
        (
            {"sshAllowedCidrs": ["10.0.0.0/8", "10.0.0.0/8"]},
            "cloudlab:kubernetes.sshAllowedCidrs[1]",
        ),
        ({"masterIp": "255.255.255.254"}, "cloudlab:kubernetes.masterIp"),
        ({"workers": "²"}, "cloudlab:kubernetes.workers"),
        ({"calicoVersion": "latest"}, "cloudlab:kubernetes.calicoVersion"),
        ({"readyTimeoutSeconds": 5}, "cloudlab:kubernetes.readyTimeoutSeconds"),
    ],
)
def test_bad_cluster_settings_name_their_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_cluster_settings(raw)
    assert error.value.key == key


def test_placement_must_name_a_worker() -> None:
    cluster = parse_cluster_settings({"workers": 1})
    check_placement(parse_workload_settings({"image": "a", "placement": "worker1"}), cluster)
    with pytest.raises(ConfigError, match="worker2"):
        check_placement(parse_workload_settings({"image": "a", "placement": "worker2"}), cluster)
    with pytest.raises(ConfigError):
        check_placement(parse_workload_settings({"image": "a", "placement": "master"}), cluster)


@pytest.mark.parametrize(
    "ttl",
    ["0s", "0h0m0s", "0", "", "24h0m1s", "25h", "48h", "1441m", "86401s"],
)
def test_token_lifetimes_that_never_end_or_outlive_a_day_are_refused(ttl: str) -> None:
    """``0s`` is kubeadm's "never expires"; a day is enough to boot every node."""
    with pytest.raises(ConfigError) as error:
        parse_cluster_settings({"bootstrapTokenTtl": ttl})
    assert error.value.key == "cloudlab:kubernetes.bootstrapTokenTtl"
    assert "24h" in str(error.value)


@pytest.mark.parametrize("ttl", ["24h0m0s", "24h", "1h30m", "90m", "2h", "30m0s"])
def test_token_lifetimes_up_to_a_day_are_kept(ttl: str) -> None:
    assert parse_cluster_settings({"bootstrapTokenTtl": ttl}).bootstrap_token_ttl == ttl


@pytest.mark.parametrize("key", ["apiAllowedCidrs", "nodePortAllowedCidrs", "sshAllowedCidrs"])
@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "0.0.0.0/1", "8.0.0.0/8"])
def test_world_open_cidrs_are_refused_unless_meant(key: str, cidr: str) -> None:
    with pytest.raises(ConfigError, match=rf"{key}\[1\].*whole internet") as info:
        parse_cluster_settings({key: ["203.0.113.7/32", cidr]})
    assert "allowWorldOpen" in str(info.value)
    meant = parse_cluster_settings({key: [cidr], "allowWorldOpen": True})
    assert meant.allow_world_open is True


def test_ipv6_world_is_refused_too() -> None:
    with pytest.raises(ConfigError, match=r"apiAllowedCidrs"):  # the cluster is IPv4 only
        parse_cluster_settings({"apiAllowedCidrs": ["::/0"]})


def test_campus_and_private_ranges_need_no_setting() -> None:
    s = parse_cluster_settings(
        {"apiAllowedCidrs": ["198.51.0.0/16"], "sshAllowedCidrs": ["10.0.0.0/8"]}
    )
    assert s.allow_world_open is False


def test_node_egress_defaults_are_the_sources_dns_and_ntp() -> None:
    rules = {
        (r.protocol, r.port_min, r.remote_cidr) for r in parse_cluster_settings(None).egress_rules()
    }
    assert rules == {
        ("tcp", 53, "0.0.0.0/0"), ("tcp", 80, "0.0.0.0/0"), ("tcp", 443, "0.0.0.0/0"),
        ("udp", 53, "0.0.0.0/0"), ("udp", 123, "0.0.0.0/0"),
        ("tcp", 80, "169.254.169.254/32"),
    }  # fmt: skip


def test_node_egress_is_config() -> None:
    s = parse_cluster_settings(
        {"egressCidrs": ["10.20.0.0/16"], "egressTcpPorts": [443], "egressUdpPorts": []}
    )
    rules = {(r.protocol, r.port_min, r.remote_cidr) for r in s.egress_rules()}
    assert rules == {("tcp", 443, "10.20.0.0/16"), ("tcp", 80, "169.254.169.254/32")}
    with pytest.raises(ConfigError, match=r"egressTcpPorts"):
        parse_cluster_settings({"egressTcpPorts": [443, 443]})
    with pytest.raises(ConfigError, match=r"egressUdpPorts"):
        parse_cluster_settings({"egressUdpPorts": [70000]})
