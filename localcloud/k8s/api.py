"""A few HTTPS calls to the local API server and etcd, with the admin client certificate.

Bringing the cluster up needs only readiness probes and node creation, so this uses the
standard library instead of the kubernetes client: `make k8s` then works before the venv has
that package. The tests themselves use the real kubernetes client.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from localcloud.k8s.layout import API_URL, Layout


class ApiError(RuntimeError):
    """A non-2xx answer, with its HTTP status."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:500]}")
        self.status = status


def tls_context(layout: Layout, identity: str = "admin") -> ssl.SSLContext:
    """Verify the server against the CA that signed ``identity`` and present its certificate."""
    ca = "etcd-ca" if identity == "apiserver-etcd-client" else "ca"
    ctx = ssl.create_default_context(cafile=str(layout.cert(ca)))
    ctx.load_cert_chain(str(layout.cert(identity)), str(layout.key(identity)))
    return ctx


def request(
    layout: Layout,
    method: str,
    path: str,
    body: Any = None,
    *,
    base: str = API_URL,
    identity: str = "admin",
    timeout: float = 10.0,
) -> Any:
    """Send one request; JSON in, JSON (or text) out; raise ApiError on HTTP errors."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(
            req, context=tls_context(layout, identity), timeout=timeout
        ) as resp:
            text = resp.read().decode()
    except urllib.error.HTTPError as err:
        raise ApiError(err.code, err.read().decode(errors="replace")) from None
    try:
        return json.loads(text)
    except ValueError:
        return text


def probe(layout: Layout, path: str, *, base: str = API_URL, identity: str = "admin") -> bool:
    """True when GET ``path`` answers 2xx (connection errors count as not ready)."""
    try:
        request(layout, "GET", path, base=base, identity=identity, timeout=3.0)
    except (OSError, ApiError):
        return False
    return True


def probe_insecure(url: str) -> bool:
    """Health of a component serving a self-signed certificate (controller-manager, scheduler).

    Only used for their /healthz on 127.0.0.1, which carries no secret.
    """
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=3.0) as resp:
            return resp.status == 200
    except OSError:
        return False
