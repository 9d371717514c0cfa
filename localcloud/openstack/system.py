"""MariaDB and RabbitMQ from Debian's apt, installed once, never run as system services.

Neutron's migrations need MySQL (SQLite and PostgreSQL fail) and nova's services talk over
RabbitMQ. We run our own instances bound to 127.0.0.1 with their data in the state directory. The
packages come from the project's one apt step, ``scripts/apt-install.sh --step openstack`` (its
package list is in ``scripts/apt-steps``), which installs under a policy that forbids every
service start and runs no init script afterwards: nothing of the system's is started, so nothing
of the system's can hold our ports (tests/install checks that in a fresh container).
"""

import subprocess

from localcloud.openstack.layout import REPO_ROOT, Layout
from localcloud.openstack.progress import step

MARIADBD = "/usr/sbin/mariadbd"
RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
APT_INSTALL = REPO_ROOT / "scripts" / "apt-install.sh"
APT_STEP = "openstack"


def ensure_packages(layout: Layout) -> None:
    """Install the local cloud's apt packages that are missing; start none of their services."""
    log = layout.log("apt")
    layout.logs.mkdir(parents=True, exist_ok=True)
    probe = subprocess.run(
        [str(APT_INSTALL), "--missing", APT_STEP], capture_output=True, text=True, check=False
    )
    missing = probe.stdout.split()
    if probe.returncode == 0 and not missing:
        return
    what = f"apt step {APT_STEP}: installing {' '.join(missing)}"
    with step(what, estimate_s=60, log=log), log.open("a") as out:
        result = subprocess.run(
            [str(APT_INSTALL), "--step", APT_STEP], stdout=out, stderr=subprocess.STDOUT
        )
    if result.returncode != 0:
        raise RuntimeError(f"{APT_INSTALL.name} --step {APT_STEP} failed; see {log}")
