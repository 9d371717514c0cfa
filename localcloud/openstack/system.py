"""MariaDB and RabbitMQ from Debian's apt, installed once, never run as system services.

Neutron's migrations need MySQL (SQLite and PostgreSQL fail) and nova's services talk over
RabbitMQ. We run our own instances bound to 127.0.0.1 with their data in the state directory, so
apt's service must not start (or must be stopped): there is no systemd here, and a Debian package's
postinst starts its service through invoke-rc.d unless /usr/sbin/policy-rc.d forbids it.
"""

import os
import shutil
import subprocess
from pathlib import Path

from localcloud.openstack.layout import Layout
from localcloud.openstack.progress import step

PACKAGES = ("mariadb-server", "rabbitmq-server")
MARIADBD = "/usr/sbin/mariadbd"
RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
INIT_SCRIPTS = ("/etc/init.d/mariadb", "/etc/init.d/rabbitmq-server")


def missing_packages() -> list[str]:
    """The apt packages whose binaries are not installed."""
    wanted = {"mariadb-server": MARIADBD, "rabbitmq-server": RABBITMQ_SERVER}
    return [pkg for pkg, binary in wanted.items() if not Path(binary).exists()]


def ensure_packages(layout: Layout) -> None:
    """apt-get install what is missing, keeping apt from starting the system services."""
    missing = missing_packages()
    if not missing:
        return
    if os.geteuid() != 0:
        names = " ".join(missing)
        raise RuntimeError(f"not root: install them first with `sudo apt-get install {names}`")
    if shutil.which("apt-get") is None:
        raise RuntimeError(f"no apt-get: install {' '.join(missing)} by hand")
    log = layout.log("apt")
    layout.logs.mkdir(parents=True, exist_ok=True)
    # Forbid service starts during the install; leave an existing policy alone.
    own_policy = not POLICY_RC_D.exists()
    if own_policy:
        POLICY_RC_D.write_text("#!/bin/sh\n# cloudlab: no service starts during apt\nexit 101\n")
        POLICY_RC_D.chmod(0o755)
    try:
        with step(f"apt-get install {' '.join(missing)}", estimate_s=60, log=log):
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            with log.open("a") as out:
                argv = ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", *missing]
                result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
                if result.returncode != 0:
                    subprocess.run(["apt-get", "update", "-q"], stdout=out, stderr=out, env=env)
                    subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=env, check=True)
    finally:
        if own_policy:
            POLICY_RC_D.unlink(missing_ok=True)
    # A pre-existing policy may have allowed the starts: stop what apt started.
    for script in INIT_SCRIPTS:
        if Path(script).exists():
            subprocess.run(
                [script, "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
            )
