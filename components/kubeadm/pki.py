"""Pure helpers around the kubeadm cluster's PKI: the CA pin of ``kubeadm join``.

``kubeadm join --discovery-token-ca-cert-hash sha256:<hex>`` pins the SHA-256 of the CA's
DER-encoded SubjectPublicKeyInfo, read here with ``cryptography``'s X.509 parser. The result
equals ``openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum``.
"""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL)


def pem_to_der(pem: str, label: str = "CERTIFICATE") -> bytes:
    """The DER bytes of the first PEM block labelled ``label``."""
    for found_label, body in _PEM.findall(pem):
        if found_label == label:
            return base64.b64decode("".join(body.split()), validate=True)
    raise ValueError(f"no PEM block {label!r} found")


def spki_der_from_certificate(der: bytes) -> bytes:
    """The DER SubjectPublicKeyInfo of an X.509 certificate (``ValueError`` when ``der`` is
    not one, or holds a key of an algorithm ``cryptography`` does not know)."""
    try:
        key = x509.load_der_x509_certificate(der).public_key()
    except UnsupportedAlgorithm as error:
        raise ValueError(f"unsupported public key: {error}") from error
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def ca_cert_hash(ca_cert_pem: str) -> str:
    """``sha256:<hex>``: the value of ``kubeadm join --discovery-token-ca-cert-hash``."""
    spki = spki_der_from_certificate(pem_to_der(ca_cert_pem))
    return "sha256:" + hashlib.sha256(spki).hexdigest()
