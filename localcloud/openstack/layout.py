"""Where the local OpenStack keeps things: state (data, logs, PIDs, rendered config) and caches.

State lives outside the repo (``~/.cloudlab/openstack``); the services venv is a cache keyed by
the hash of the committed lock file, so a changed lock builds a new venv instead of mutating one.
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCK_FILE = HERE / "requirements.lock"
PLUGINS_DIR = HERE / "plugins"
TEMPLATES_DIR = HERE / "templates"
REPO_ROOT = HERE.parent.parent

# The services' usual ports, all on 127.0.0.1; epmd's is one of ours, not the usual 4369, so that
# a system epmd (Erlang starts one on 0.0.0.0:4369 for any client) can never take it from us.
HOST = "127.0.0.1"
PORTS = {
    "mariadb": 3306,
    "epmd": 14369,
    "rabbitmq": 5672,
    "rabbitmq-dist": 25672,
    "keystone": 5000,
    "glance": 9292,
    "placement": 8778,
    "neutron": 9696,
    "nova-api": 8774,
    "openflow": 6633,  # the OVS agent's OpenFlow controller (os-ken)
}
CLOUD_NAME = "cloudlab-local"
ADMIN_CLOUD_NAME = "cloudlab-local-admin"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plugins_hash() -> str:
    """Hash of our plugin distribution's sources: a change reinstalls it into the venv."""
    digest = hashlib.sha256()
    for path in sorted(PLUGINS_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PLUGINS_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Layout:
    """All paths of one local cloud."""

    state: Path
    cache: Path

    @classmethod
    def default(cls) -> "Layout":
        """From CLOUDLAB_OPENSTACK_STATE / XDG_CACHE_HOME, else ~/.cloudlab and ~/.cache."""
        state = os.environ.get("CLOUDLAB_OPENSTACK_STATE", "~/.cloudlab/openstack")
        cache = os.environ.get("XDG_CACHE_HOME", "~/.cache")
        return cls(Path(state).expanduser(), Path(cache).expanduser() / "cloudlab")

    @property
    def venv(self) -> Path:
        """The services venv, keyed by the lock file's hash."""
        return self.cache / f"openstack-venv-{_sha256(LOCK_FILE)[:16]}"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def run(self) -> Path:
        return self.state / "run"

    @property
    def conf(self) -> Path:
        return self.state / "conf"

    @property
    def secrets(self) -> Path:
        return self.state / "secrets.json"

    def log(self, name: str) -> Path:
        """The log file of one process or step."""
        return self.logs / f"{name}.log"

    def bin(self, name: str) -> Path:
        """A console script of the services venv."""
        return self.venv / "bin" / name
