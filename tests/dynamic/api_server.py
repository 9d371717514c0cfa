"""A fake Kubernetes API server over mutual TLS on 127.0.0.1, and the PKI it trusts: what the
readiness gate (components/dynamic/readiness.py) talks to in the tests.

:func:`make_pki` writes a cluster CA, the API server's certificate (SAN ``kubernetes`` only, as
kubeadm's holds it for the floating IP) and an admin client certificate; :func:`serve_api`
serves ``/readyz`` and ``/api/v1/nodes``, ready from the ``ready_from``-th request of each path
on, and requires a client certificate of the CA.
"""

from __future__ import annotations

import datetime
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def node_list(**ready: bool) -> bytes:
    return json.dumps(
        {
            "items": [
                {
                    "metadata": {"name": name},
                    "status": {
                        "conditions": [
                            {"type": "MemoryPressure", "status": "False"},
                            {"type": "Ready", "status": "True" if ok else "False"},
                        ]
                    },
                }
                for name, ok in ready.items()
            ]
        }
    ).encode()


def certificate(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[str, rsa.RSAPrivateKey] | None = None,
    *,
    ca: bool = False,
    names: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (subject, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def pem(value: x509.Certificate | rsa.RSAPrivateKey) -> str:
    if isinstance(value, x509.Certificate):
        return value.public_bytes(serialization.Encoding.PEM).decode()
    return value.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def make_pki(directory: Path) -> dict[str, str]:
    """A cluster CA, the API server's certificate (SAN ``kubernetes`` only, as kubeadm's holds
    it for the floating IP) and an admin client certificate."""
    ca_key, server_key, admin_key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)
    )
    ca = certificate("kubernetes", ca_key, ca=True)
    server = certificate("kube-apiserver", server_key, ("kubernetes", ca_key),
                   names=[x509.DNSName("kubernetes")])  # fmt: skip
    admin = certificate("kubernetes-admin", admin_key, ("kubernetes", ca_key))
    for name, value in (("server.crt", server), ("server.key", server_key), ("ca.crt", ca)):
        (directory / name).write_text(pem(value))
    return {
        "dir": str(directory),
        "ca_cert_pem": pem(ca),
        "client_cert_pem": pem(admin),
        "client_key_pem": pem(admin_key),
    }


@contextmanager
def serve_api(pki: dict[str, str], ready_from: int = 2) -> Iterator[tuple[str, dict[str, int]]]:
    """An API server on 127.0.0.1 that requires a client certificate of the cluster CA: its
    URL and the count of requests per path."""
    hits: dict[str, int] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits[self.path] = hits.get(self.path, 0) + 1
            ready = hits[self.path] >= ready_from
            if self.path == "/readyz":
                body = b"ok" if ready else b"[-]etcd"
                status = 200 if ready else 503
            else:
                status, body = 200, node_list(master=True, worker1=ready)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=f"{pki['dir']}/ca.crt")
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(f"{pki['dir']}/server.crt", f"{pki['dir']}/server.key")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
