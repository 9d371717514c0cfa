"""The CA pin of kubeadm join, and the kubeconfig built from the certificates."""

from __future__ import annotations

import base64

import pytest
import yaml

from components.kubernetes.pki import (
    ca_cert_hash,
    pem_to_der,
    render_kubeconfig,
    spki_der_from_certificate,
)
from tests.kubernetes.k8s_support import CA_CERT_HASH, CA_CERT_PEM


def test_pin_equals_openssl() -> None:
    # The constant was computed with openssl (see conftest.py), independently of this code.
    assert ca_cert_hash(CA_CERT_PEM) == CA_CERT_HASH


def test_spki_is_the_rsa_public_key() -> None:
    spki = spki_der_from_certificate(pem_to_der(CA_CERT_PEM))
    assert spki[0] == 0x30
    # rsaEncryption OID 1.2.840.113549.1.1.1 opens the AlgorithmIdentifier.
    assert bytes.fromhex("2a864886f70d010101") in spki[:20]
    assert len(spki) == 294  # RSA-2048 SubjectPublicKeyInfo


def test_pin_ignores_text_around_the_pem() -> None:
    assert ca_cert_hash("subject=CN = kubernetes\n" + CA_CERT_PEM + "\n") == CA_CERT_HASH


@pytest.mark.parametrize(
    "pem",
    [
        "",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    ],
)
def test_garbage_is_refused(pem: str) -> None:
    with pytest.raises(ValueError):
        ca_cert_hash(pem)


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
