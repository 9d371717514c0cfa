"""The kubeconfig built from the certificates."""

from __future__ import annotations

import base64

import yaml

from components.kubernetes.kubeconfig import render_kubeconfig


def test_kubeconfig_carries_everything_inline() -> None:
    text = render_kubeconfig(
        cluster="lab",
        server="https://203.0.113.9:6443",
        ca_cert_pem="CA",
        client_cert_pem="CERT",
        client_key_pem="KEY",
        tls_server_name="kubernetes",
    )
    config = yaml.safe_load(text)
    cluster = config["clusters"][0]
    assert cluster["name"] == "lab"
    assert cluster["cluster"]["server"] == "https://203.0.113.9:6443"
    assert cluster["cluster"]["tls-server-name"] == "kubernetes"
    assert base64.b64decode(cluster["cluster"]["certificate-authority-data"]) == b"CA"
    user = config["users"][0]["user"]
    assert base64.b64decode(user["client-certificate-data"]) == b"CERT"
    assert base64.b64decode(user["client-key-data"]) == b"KEY"
    context = config["contexts"][0]
    assert context["context"] == {"cluster": "lab", "user": config["users"][0]["name"]}
    assert config["current-context"] == context["name"]
    assert "tls-server-name" not in render_kubeconfig(
        cluster="c", server="s", ca_cert_pem="a", client_cert_pem="b", client_key_pem="k"
    )
