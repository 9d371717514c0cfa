"""Kubeconfig files for the admin and for each control-plane component.

Certificates are embedded (``*-data``) so the admin file can be copied anywhere; it is written
with mode 0600 because it carries a ``system:masters`` key.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from localcloud.k8s.layout import API_URL, Layout

CLUSTER = "cloudlab-local"


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def render(layout: Layout, identity: str, user: str) -> str:
    """A kubeconfig for the client certificate ``identity`` as user ``user``."""
    return f"""\
apiVersion: v1
kind: Config
clusters:
- name: {CLUSTER}
  cluster:
    server: {API_URL}
    certificate-authority-data: {_b64(layout.cert("ca"))}
users:
- name: {user}
  user:
    client-certificate-data: {_b64(layout.cert(identity))}
    client-key-data: {_b64(layout.key(identity))}
contexts:
- name: {CLUSTER}
  context:
    cluster: {CLUSTER}
    user: {user}
current-context: {CLUSTER}
"""


def write(path: Path, text: str) -> None:
    """Write atomically with mode 0600 (never leaves a half-written file for a reader)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def component_path(layout: Layout, component: str) -> Path:
    return layout.conf / f"{component}.kubeconfig"


def write_all(layout: Layout) -> None:
    """The admin kubeconfig plus one per component that talks to the API."""
    write(layout.kubeconfig, render(layout, "admin", "cloudlab-admin"))
    for component in ("controller-manager", "scheduler", "kwok"):
        write(component_path(layout, component), render(layout, component, component))
