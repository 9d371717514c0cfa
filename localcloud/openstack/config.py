"""Secrets and the services' config files, rendered from the templates into the state directory.

Passwords are generated once per state directory (never committed) and kept in
``secrets.json`` (mode 600); every service is configured for 127.0.0.1 only.
"""

import hashlib
import json
import os
import secrets
from pathlib import Path
from string import Template

from localcloud.openstack import ovs
from localcloud.openstack.layout import HOST, PORTS, TEMPLATES_DIR, Layout

SECRET_NAMES = ("admin", "service", "db", "rabbit", "lab")
LAB_PROJECT = "cloudlab"
LAB_USER = "cloudlab"


def load_secrets(layout: Layout) -> dict[str, str]:
    """The state directory's passwords, created on first use."""
    if layout.secrets.exists():
        values = json.loads(layout.secrets.read_text())
        if all(name in values for name in SECRET_NAMES):
            return values
    layout.state.mkdir(parents=True, exist_ok=True)
    values = {name: secrets.token_hex(16) for name in SECRET_NAMES}
    fd = os.open(layout.secrets, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(values, out, indent=2)
    return values


def keystone_url() -> str:
    """Keystone's v3 endpoint."""
    return f"http://{HOST}:{PORTS['keystone']}/v3"


def boot_seconds() -> str:
    """The fake driver's boot time, from CLOUDLAB_OPENSTACK_BOOT_SECONDS (default 0)."""
    value = float(os.environ.get("CLOUDLAB_OPENSTACK_BOOT_SECONDS", "0"))
    if value < 0:
        raise ValueError("CLOUDLAB_OPENSTACK_BOOT_SECONDS must be >= 0")
    return f"{value:g}"


def dhcp_confs(layout: Layout) -> Path:
    """dnsmasq's files: outside the private state directory (dnsmasq runs as ``nobody``), one
    directory per state directory, readable by all (MACs and addresses, no secret)."""
    digest = hashlib.sha256(str(layout.state).encode()).hexdigest()[:12]
    path = Path("/run") / f"cloudlab-openstack-{digest}" / "dhcp"
    path.mkdir(parents=True, exist_ok=True)
    for directory in (path, path.parent):
        directory.chmod(0o755)
    return path


def render_all(layout: Layout) -> dict[str, Path]:
    """Render every config file; returns their paths by short name."""
    pw = load_secrets(layout)
    common = {
        "state": str(layout.state),
        "venv": str(layout.venv),
        "db_url": f"mysql+pymysql://cloudlab:{pw['db']}@{HOST}:{PORTS['mariadb']}",
        "transport_url": f"rabbit://cloudlab:{pw['rabbit']}@{HOST}:{PORTS['rabbitmq']}/",
        "keystone_url": keystone_url(),
        "service_password": pw["service"],
        "rabbit_password": pw["rabbit"],
        "mysql_port": str(PORTS["mariadb"]),
        "rabbit_port": str(PORTS["rabbitmq"]),
        "boot_seconds": boot_seconds(),
        "ovs_run": str(ovs.run_dir(layout)),
        "of_port": str(PORTS["openflow"]),
        "dhcp_confs": str(dhcp_confs(layout)),
    }
    files = {
        "keystone": ("keystone/keystone.conf", "keystone.conf", None),
        "neutron": ("neutron/neutron.conf", "neutron.conf", "neutron"),
        "ml2": ("neutron/ml2_conf.ini", "ml2_conf.ini", None),
        "ovs_agent": ("neutron/openvswitch_agent.ini", "openvswitch_agent.ini", None),
        "l3_agent": ("neutron/l3_agent.ini", "l3_agent.ini", None),
        "dhcp_agent": ("neutron/dhcp_agent.ini", "dhcp_agent.ini", None),
        "nova": ("nova/nova.conf", "nova.conf", "nova"),
        "placement": ("placement/placement.conf", "placement.conf", "placement"),
        "glance": ("glance/glance-api.conf", "glance-api.conf", "glance"),
        "mariadb": ("mariadb.cnf", "mariadb.cnf", None),
        "rabbitmq": ("rabbitmq/rabbitmq.conf", "rabbitmq.conf", None),
    }
    authtoken = Template((TEMPLATES_DIR / "authtoken.inc").read_text())
    paths = {}
    for key, (target, template, service_user) in files.items():
        values = dict(common)
        if service_user:
            values["authtoken"] = authtoken.substitute(common, service_user=service_user)
        text = Template((TEMPLATES_DIR / template).read_text()).substitute(values)
        path = layout.conf / target
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)
        paths[key] = path
    enabled_plugins = layout.conf / "rabbitmq" / "enabled_plugins"
    enabled_plugins.write_text("[].\n")
    paths["rabbitmq_plugins"] = enabled_plugins
    return paths
