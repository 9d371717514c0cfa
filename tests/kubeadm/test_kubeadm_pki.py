"""The CA pin of kubeadm join."""

from __future__ import annotations

import pytest

from components.kubeadm.pki import ca_cert_hash, pem_to_der, spki_der_from_certificate
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
