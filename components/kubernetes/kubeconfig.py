"""A kubeconfig built from certificates: everything inline, no file beside it."""

from __future__ import annotations

import base64

import yaml


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
