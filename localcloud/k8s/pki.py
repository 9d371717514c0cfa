"""The control plane's certificates, made with the openssl CLI.

Every link is TLS, as on a kubeadm cluster: the cluster CA signs the API server's serving
certificate and one client certificate per component (the identity picks the component's built-in
RBAC role); a separate etcd CA signs etcd's certificate and the API server's etcd client
certificate, so no cluster client certificate (the admin's included) opens etcd. Another key pair
signs service-account tokens. openssl is used rather than a Python package so that `make k8s`
needs nothing beyond the standard library.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from localcloud.k8s.layout import HOST, SERVICE_API_IP, Layout

DAYS = 365
CAS = ("ca", "etcd-ca")


@dataclass(frozen=True)
class Identity:
    """One leaf certificate: file name, subject, extended key usages and SANs."""

    name: str
    common_name: str
    organization: str | None = None
    server: bool = False
    client: bool = True
    sans: tuple[str, ...] = ()
    ca: str = "ca"


SERVING_SANS = (
    f"IP:{HOST}",
    "DNS:localhost",
    f"IP:{SERVICE_API_IP}",
    "DNS:kubernetes",
    "DNS:kubernetes.default",
    "DNS:kubernetes.default.svc",
    "DNS:kubernetes.default.svc.cluster.local",
)

IDENTITIES = (
    Identity("apiserver", "kube-apiserver", server=True, client=False, sans=SERVING_SANS),
    Identity("etcd", "etcd", server=True, sans=(f"IP:{HOST}", "DNS:localhost"), ca="etcd-ca"),
    Identity("apiserver-etcd-client", "kube-apiserver-etcd-client", ca="etcd-ca"),
    # system:masters bypasses RBAC: the lab's admin, and kwok, which patches any node or pod.
    Identity("admin", "cloudlab-admin", organization="system:masters"),
    Identity("kwok", "kwok-controller", organization="system:masters"),
    # The names the bootstrap RBAC roles are bound to.
    Identity("controller-manager", "system:kube-controller-manager"),
    Identity("scheduler", "system:kube-scheduler"),
)


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def _new_key(path: Path) -> None:
    # ECDSA P-256: generated instantly, accepted by Go's TLS and for service-account tokens (ES256).
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
    path.chmod(0o600)


def _ca(layout: Layout, name: str) -> None:
    key, crt = layout.key(name), layout.cert(name)
    _new_key(key)
    _openssl(
        "req", "-x509", "-new", "-key", key, "-sha256", "-days", DAYS * 10, "-out", crt,
        "-subj", f"/CN=cloudlab-local-{name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    )  # fmt: skip


def _leaf(layout: Layout, ident: Identity) -> None:
    key, crt = layout.key(ident.name), layout.cert(ident.name)
    _new_key(key)
    subject = f"/CN={ident.common_name}"
    if ident.organization:
        subject = f"/O={ident.organization}{subject}"
    usages = [u for u, on in (("serverAuth", ident.server), ("clientAuth", ident.client)) if on]
    ext = [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        f"extendedKeyUsage={','.join(usages)}",
    ]
    if ident.sans:
        ext.append(f"subjectAltName={','.join(ident.sans)}")
    with tempfile.TemporaryDirectory() as tmp:
        csr, extfile = Path(tmp) / "csr", Path(tmp) / "ext"
        extfile.write_text("\n".join(ext) + "\n")
        _openssl("req", "-new", "-key", key, "-subj", subject, "-out", csr)
        _openssl(
            "x509", "-req", "-in", csr, "-CAcreateserial",
            "-CA", layout.cert(ident.ca), "-CAkey", layout.key(ident.ca),
            "-sha256", "-days", DAYS, "-extfile", extfile, "-out", crt,
        )  # fmt: skip


def _service_account_keys(layout: Layout) -> None:
    key = layout.key("sa")
    _new_key(key)
    _openssl("pkey", "-in", key, "-pubout", "-out", layout.pki / "sa.pub")


def complete(layout: Layout) -> bool:
    """True when every certificate and key exists (so a restart keeps the same CA)."""
    paths = [layout.key("sa"), layout.pki / "sa.pub"]
    for ca in CAS:
        paths += [layout.cert(ca), layout.key(ca)]
    for ident in IDENTITIES:
        paths += [layout.cert(ident.name), layout.key(ident.name)]
    return all(p.is_file() and p.stat().st_size > 0 for p in paths)


def ensure(layout: Layout) -> bool:
    """Create the PKI if any part is missing; True if it was (re)created.

    A partial PKI is thrown away as a whole: certificates signed by a CA that no longer exists
    would only fail later, in a less obvious place.
    """
    if complete(layout):
        return False
    layout.pki.mkdir(parents=True, exist_ok=True)
    os.chmod(layout.pki, 0o700)
    for old in layout.pki.iterdir():
        old.unlink()
    for ca in CAS:
        _ca(layout, ca)
    for ident in IDENTITIES:
        _leaf(layout, ident)
    _service_account_keys(layout)
    return True
