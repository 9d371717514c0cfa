"""The ``cloudlab-local`` entries of ``~/.config/openstack/clouds.yaml``, merged in place.

The user's other clouds are kept: the file is read, our two entries are set, and it is written back
only if they changed (atomically, mode 600; the first rewrite keeps a backup of the original).
"""

import os
from pathlib import Path
from typing import Any

import yaml

from localcloud.openstack.config import LAB_PROJECT, LAB_USER, keystone_url, load_secrets
from localcloud.openstack.layout import ADMIN_CLOUD_NAME, CLOUD_NAME, Layout


def clouds_file() -> Path:
    """The clouds.yaml openstacksdk, the CLI and the Pulumi provider read first."""
    base = os.environ.get("XDG_CONFIG_HOME", "~/.config")
    return Path(base).expanduser() / "openstack" / "clouds.yaml"


def _entry(username: str, password: str, project: str) -> dict[str, Any]:
    return {
        "auth": {
            "auth_url": keystone_url(),
            "username": username,
            "password": password,
            "project_name": project,
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "region_name": "RegionOne",
        "interface": "public",
        "identity_api_version": 3,
    }


def write_entries(layout: Layout, path: Path | None = None) -> Path:
    """Merge ``cloudlab-local`` (the lab's user) and ``cloudlab-local-admin`` into clouds.yaml."""
    path = path or clouds_file()
    pw = load_secrets(layout)
    ours = {
        CLOUD_NAME: _entry(LAB_USER, pw["lab"], LAB_PROJECT),
        ADMIN_CLOUD_NAME: _entry("admin", pw["admin"], "admin"),
    }
    data: dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text()) or {}
        if not isinstance(loaded, dict) or not isinstance(loaded.get("clouds", {}), dict):
            raise RuntimeError(f"{path} is not a clouds.yaml mapping: not touching it")
        data = loaded
    clouds = data.setdefault("clouds", {})
    if all(clouds.get(name) == entry for name, entry in ours.items()):
        return path
    backup = path.with_name(path.name + ".before-cloudlab")
    if path.exists() and not backup.exists():
        backup.write_bytes(path.read_bytes())
        backup.chmod(0o600)
    clouds.update(ours)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        yaml.safe_dump(data, out, default_flow_style=False, sort_keys=False)
    os.replace(tmp, path)
    return path
