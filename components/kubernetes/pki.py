"""Pure helpers around the cluster's PKI: the CA pin of ``kubeadm join`` and the kubeconfig.

``kubeadm join --discovery-token-ca-cert-hash sha256:<hex>`` pins the SHA-256 of the CA's
DER-encoded SubjectPublicKeyInfo. ``cryptography`` is not in the venv, so the SPKI is taken
out of the certificate with a minimal DER reader (the certificate's structure is fixed by
RFC 5280: the SPKI is the seventh element of tbsCertificate when the version is present).
The result equals ``openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum``.
"""

from __future__ import annotations

import base64
import hashlib
import re

import yaml

_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL)


def pem_to_der(pem: str, label: str = "CERTIFICATE") -> bytes:
    """The DER bytes of the first PEM block labelled ``label``."""
    for found_label, body in _PEM.findall(pem):
        if found_label == label:
            return base64.b64decode("".join(body.split()), validate=True)
    raise ValueError(f"no PEM block {label!r} found")


def _read_tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, start of the value, end of the element) of the DER element at ``offset``."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER element")
    tag, length = data[offset], data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER element")
    return tag, start, end


def spki_der_from_certificate(der: bytes) -> bytes:
    """The DER SubjectPublicKeyInfo of an X.509 certificate."""
    tag, cert_start, _ = _read_tlv(der, 0)
    if tag != 0x30:
        raise ValueError("not a certificate: expected a SEQUENCE")
    tag, offset, tbs_end = _read_tlv(der, cert_start)
    if tag != 0x30:
        raise ValueError("not a certificate: expected tbsCertificate")
    elements = []
    while offset < tbs_end and len(elements) < 7:
        tag, _, end = _read_tlv(der, offset)
        elements.append((tag, offset, end))
        offset = end
    if elements and elements[0][0] != 0xA0:  # version absent (v1): no [0] element
        elements.insert(0, (0xA0, 0, 0))
    if len(elements) < 7 or elements[6][0] != 0x30:
        raise ValueError("not a certificate: no SubjectPublicKeyInfo")
    _, start, end = elements[6]
    return der[start:end]


def ca_cert_hash(ca_cert_pem: str) -> str:
    """``sha256:<hex>``: the value of ``kubeadm join --discovery-token-ca-cert-hash``."""
    spki = spki_der_from_certificate(pem_to_der(ca_cert_pem))
    return "sha256:" + hashlib.sha256(spki).hexdigest()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def render_kubeconfig(
    *,
    cluster: str,
    server: str,
    ca_cert_pem: str,
    client_cert_pem: str,
    client_key_pem: str,
    tls_server_name: str | None = None,
    user: str = "kubernetes-admin",
) -> str:
    """A kubeconfig with the certificates inline (no file beside it, nothing fetched by SSH).

    ``tls_server_name`` verifies the API server under a name its certificate holds when
    ``server`` is an address it does not (the floating IP, unknown when the node boots).
    """
    cluster_entry: dict[str, str] = {
        "server": server,
        "certificate-authority-data": _b64(ca_cert_pem),
    }
    if tls_server_name:
        cluster_entry["tls-server-name"] = tls_server_name
    context = f"{user}@{cluster}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": cluster_entry}],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": _b64(client_cert_pem),
                    "client-key-data": _b64(client_key_pem),
                },
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": cluster, "user": user}}],
        "current-context": context,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)
