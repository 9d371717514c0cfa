"""The nodes' cloud-init, rendered by pure functions."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.kubeadm.cloudinit import (
    MasterBootstrap,
    WorkerBootstrap,
    calico_installation,
    install_script,
    join_command,
    kubeadm_init_config,
    kubeadm_join_config,
    render_master_user_data,
    render_worker_user_data,
)

TOKEN = "abcdef.0123456789abcdef"
PIN = "sha256:" + "ab" * 32


def master(**changes: Any) -> MasterBootstrap:
    values: dict[str, Any] = {
        "node_name": "master",
        "kubernetes_version": "1.28",
        "master_ip": "10.1.0.10",
        "bootstrap_token": TOKEN,
        "ca_cert_pem": "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
        "ca_key_pem": "-----BEGIN RSA PRIVATE KEY-----\nK\n-----END RSA PRIVATE KEY-----\n",
    }
    values.update(changes)
    return MasterBootstrap(**values)


def worker(**changes: Any) -> WorkerBootstrap:
    values: dict[str, Any] = {
        "node_name": "worker2",
        "kubernetes_version": "1.28",
        "master_ip": "10.1.0.10",
        "bootstrap_token": TOKEN,
        "ca_cert_hash": PIN,
    }
    values.update(changes)
    return WorkerBootstrap(**values)


def test_minor_version_installs_the_latest_patch_of_its_repo() -> None:
    script = install_script(worker())
    assert "https://pkgs.k8s.io/core:/stable:/v1.28/deb/Release.key" in script
    assert "apt-get install -y kubelet kubeadm kubectl\n" in script


def test_patch_version_is_pinned() -> None:
    script = install_script(worker(kubernetes_version="1.29.3"))
    assert "/stable:/v1.29/deb/" in script
    assert "kubelet='1.29.3-*' kubeadm='1.29.3-*' kubectl='1.29.3-*'" in script


def test_kubeadm_config_api_follows_the_version() -> None:
    assert kubeadm_init_config(master()).startswith("apiVersion: kubeadm.k8s.io/v1beta3")
    assert kubeadm_init_config(master(kubernetes_version="1.31")).startswith(
        "apiVersion: kubeadm.k8s.io/v1beta4"
    )


def test_init_config() -> None:
    init, cluster, kubelet = yaml.safe_load_all(
        kubeadm_init_config(master(pod_cidr="10.244.0.0/16"))
    )
    assert init["bootstrapTokens"][0]["token"] == TOKEN
    assert init["bootstrapTokens"][0]["ttl"] == "24h0m0s"
    assert cluster["controlPlaneEndpoint"] == "10.1.0.10:6443"
    assert cluster["networking"]["podSubnet"] == "10.244.0.0/16"
    assert "kubernetes" in cluster["apiServer"]["certSANs"]
    assert kubelet["cgroupDriver"] == "systemd"


@pytest.mark.parametrize(("mode", "bgp"), [("IPIP", "Enabled"), ("VXLAN", "Disabled")])
def test_calico_encapsulation(mode: str, bgp: str) -> None:
    installation, _ = yaml.safe_load_all(calico_installation(master(encapsulation=mode)))
    network = installation["spec"]["calicoNetwork"]
    assert network["bgp"] == bgp
    assert network["ipPools"][0]["encapsulation"] == mode
    assert network["ipPools"][0]["cidr"] == "172.16.0.0/16"


def test_join_pins_the_ca_from_a_config_file() -> None:
    assert join_command() == ["kubeadm", "join", "--config", "/etc/cloudlab/kubeadm-join.yaml"]
    text = kubeadm_join_config(worker())
    join = yaml.safe_load(text)
    assert join["apiVersion"] == "kubeadm.k8s.io/v1beta3"
    discovery = join["discovery"]["bootstrapToken"]
    assert discovery["apiServerEndpoint"] == "10.1.0.10:6443"
    assert discovery["token"] == TOKEN
    assert discovery["caCertHashes"] == [PIN]
    assert join["nodeRegistration"]["name"] == "worker2"
    assert "unsafe" not in text.lower()
    newer = yaml.safe_load(kubeadm_join_config(worker(kubernetes_version="1.31")))
    assert newer["apiVersion"] == "kubeadm.k8s.io/v1beta4"


def test_worker_user_data_is_valid_cloud_config() -> None:
    text = render_worker_user_data(worker())
    assert text.startswith("#cloud-config\n")
    document = yaml.safe_load(text)
    assert document["hostname"] == "worker2"
    join = next(f for f in document["write_files"] if f["path"].endswith("k8s-join"))
    assert "for attempt in $(seq 1 90)" in join["content"]
    assert join["permissions"] == "0700"


def test_master_user_data_holds_the_ca_files() -> None:
    document = yaml.safe_load(render_master_user_data(master()))
    files = {f["path"]: f for f in document["write_files"]}
    assert files["/etc/kubernetes/pki/ca.key"]["permissions"] == "0600"
    assert "CA" in files["/etc/kubernetes/pki/ca.crt"]["content"]
    assert files["/etc/cloudlab/kubeadm.yaml"]["permissions"] == "0600"


@pytest.mark.parametrize(
    "broken",
    [{"bootstrap_token": ""}, {"ca_cert_pem": ""}, {"ca_key_pem": ""}],
)
def test_master_refuses_missing_secrets(broken: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        render_master_user_data(master(**broken))


@pytest.mark.parametrize("broken", [{"bootstrap_token": ""}, {"ca_cert_hash": "ab" * 32}])
def test_worker_refuses_a_missing_token_or_pin(broken: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        render_worker_user_data(worker(**broken))
