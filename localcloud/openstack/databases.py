"""MariaDB's data directory, the services' databases, and their schema migrations.

Each one-time step leaves a marker file in the state directory, so a restart with kept data skips
it; removing the state directory starts cold.

No password is ever on a command line (where ``ps`` and /proc/PID/cmdline show it to every
user of the machine): SQL goes to ``mariadb`` on its standard input, and keystone-manage's
bootstrap reads the admin's password from ``OS_BOOTSTRAP_PASSWORD`` in its environment.
"""

import os
import subprocess
from pathlib import Path

from localcloud.openstack.config import load_secrets
from localcloud.openstack.layout import HOST, Layout
from localcloud.openstack.progress import step

DATABASES = ("keystone", "glance", "placement", "neutron", "nova_api", "nova", "nova_cell0")


def _cnf(layout: Layout) -> str:
    return f"--defaults-file={layout.conf / 'mariadb.cnf'}"


def datadir(layout: Layout) -> Path:
    """MariaDB's data directory inside the state directory."""
    return layout.state / "mariadb" / "data"


def init_datadir(layout: Layout) -> None:
    """mariadb-install-db into the state directory, once."""
    if (datadir(layout) / "mysql").is_dir():
        return
    datadir(layout).mkdir(parents=True, exist_ok=True)
    log = layout.log("mariadb-install-db")
    what = "initialising MariaDB's data directory"
    with step(what, estimate_s=10, log=log), log.open("w") as out:
        subprocess.run(
            [
                "mariadb-install-db",
                _cnf(layout),
                "--user=root",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )


def sql(layout: Layout, statement: str) -> str:
    """Run SQL as MariaDB's root over our socket; returns the tab-separated rows. The
    statement goes on stdin, not on the command line: it may hold a password."""
    result = subprocess.run(
        ["mariadb", _cnf(layout), "-u", "root", "-N", "-B"],
        input=statement,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"SQL failed: {result.stderr.strip()}")
    return result.stdout


def sql_ready(layout: Layout) -> bool:
    """Whether MariaDB answers a query."""
    try:
        return sql(layout, "SELECT 1").strip() == "1"
    except RuntimeError:
        return False


def create_databases(layout: Layout) -> None:
    """The services' databases and their user (password from the state's secrets)."""
    password = load_secrets(layout)["db"]
    statements = [f"CREATE DATABASE IF NOT EXISTS {name}" for name in DATABASES]
    statements += [
        f"CREATE USER IF NOT EXISTS 'cloudlab'@'{HOST}' IDENTIFIED BY '{password}'",
        f"ALTER USER 'cloudlab'@'{HOST}' IDENTIFIED BY '{password}'",
        f"GRANT ALL PRIVILEGES ON *.* TO 'cloudlab'@'{HOST}'",
        "FLUSH PRIVILEGES",
    ]
    sql(layout, "; ".join(statements))


def _once(
    layout: Layout,
    name: str,
    what: str,
    estimate_s: float,
    argvs: list[list[str]],
    env: dict[str, str] | None = None,
) -> None:
    marker = layout.state / "done" / name
    if marker.exists():
        return
    log = layout.log(f"setup-{name}")
    with step(what, estimate_s=estimate_s, log=log), log.open("w") as out:
        for argv in argvs:
            result = subprocess.run(
                argv, stdout=out, stderr=subprocess.STDOUT, cwd=layout.state, env=env
            )
            if result.returncode != 0:
                raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}); see {log}")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()


def migrations(layout: Layout) -> dict[str, tuple[str, float, list[list[str]]]]:
    """Each service's one-time setup: (what, cold estimate in s, commands). Independent of each
    other (one database each), so they may run in parallel."""
    conf = layout.conf
    b = layout.bin
    keystone = [
        str(b("keystone-manage")),
        "--config-file",
        str(conf / "keystone" / "keystone.conf"),
    ]
    nova = [str(b("nova-manage")), "--config-file", str(conf / "nova" / "nova.conf")]
    owner = ["--keystone-user", "root", "--keystone-group", "root"]
    keystone_url = f"http://{HOST}:5000/v3/"
    neutron_conf = [
        "--config-file", str(conf / "neutron" / "neutron.conf"),
        "--config-file", str(conf / "neutron" / "ml2_conf.ini"),
    ]  # fmt: skip
    bootstrap = [
        *keystone, "bootstrap",
        # the password: OS_BOOTSTRAP_PASSWORD in the environment (migration_env)
        "--bootstrap-admin-url", keystone_url,
        "--bootstrap-internal-url", keystone_url,
        "--bootstrap-public-url", keystone_url,
        "--bootstrap-region-id", "RegionOne",
    ]  # fmt: skip
    return {
        "keystone": (
            "keystone: db_sync, fernet keys, bootstrap of the admin",
            25,
            [
                [*keystone, "db_sync"],
                [*keystone, "fernet_setup", *owner],
                [*keystone, "credential_setup", *owner],
                bootstrap,
            ],
        ),
        "glance": (
            "glance: db_sync",
            20,
            [[str(b("glance-manage")), "--config-dir", str(conf / "glance"), "db_sync"]],
        ),
        "placement": (
            "placement: db sync",
            10,
            [[str(b("placement-manage")), "--config-dir", str(conf / "placement"), "db", "sync"]],
        ),
        "neutron": (
            "neutron: database migrations",
            40,
            [[str(b("neutron-db-manage")), *neutron_conf, "upgrade", "heads"]],
        ),
        "nova": (
            "nova: api_db sync, cells v2 (cell0, cell1), db sync",
            60,
            [
                [*nova, "api_db", "sync"],
                [*nova, "cell_v2", "map_cell0"],
                [*nova, "cell_v2", "create_cell", "--name", "cell1"],
                [*nova, "db", "sync"],
            ],
        ),
    }


def migration_env(layout: Layout, service: str) -> dict[str, str]:
    """The environment of a service's one-time setup: keystone's bootstrap gets the admin's
    password there (keystone-manage reads ``OS_BOOTSTRAP_PASSWORD``), and only keystone's."""
    env = dict(os.environ)
    env.pop("OS_BOOTSTRAP_PASSWORD", None)
    if service == "keystone":
        env["OS_BOOTSTRAP_PASSWORD"] = load_secrets(layout)["admin"]
    return env


def migrate(layout: Layout, service: str) -> None:
    """One service's schema migrations and one-time setup (skipped when already done)."""
    for sub in ("fernet-keys", "credential-keys"):
        (layout.state / "keystone" / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    what, estimate, argvs = migrations(layout)[service]
    _once(layout, service, what, estimate, argvs, migration_env(layout, service))


def discover_hosts(layout: Layout) -> None:
    """Map the registered nova-compute into cell1 (once the compute service has registered)."""
    _once(
        layout,
        "nova-discover-hosts",
        "nova: cell_v2 discover_hosts",
        5,
        [[str(layout.bin("nova-manage")), "--config-file", str(layout.conf / "nova" / "nova.conf"),
          "cell_v2", "discover_hosts", "--verbose"]],
    )  # fmt: skip


def compute_reported_since(layout: Layout, utc_start: str) -> bool:
    """Whether nova-compute registered its node and reported in since ``utc_start``."""
    try:
        rows = sql(
            layout,
            "SELECT COUNT(*) FROM nova.services s JOIN nova.compute_nodes c ON c.host = s.host "
            "WHERE s.`binary` = 'nova-compute' AND s.deleted = 0 AND c.deleted = 0 "
            f"AND COALESCE(s.updated_at, s.created_at) >= '{utc_start}'",
        )
    except RuntimeError:
        return False
    return rows.strip() not in ("", "0")


def agent_reported_since(layout: Layout, binary: str, utc_start: str) -> bool:
    """Whether the Neutron agent ``binary`` (e.g. ``neutron-l3-agent``) reported since then."""
    try:
        rows = sql(
            layout,
            "SELECT COUNT(*) FROM neutron.agents WHERE `binary` = "
            f"'{binary}' AND heartbeat_timestamp >= '{utc_start}'",
        )
    except RuntimeError:
        return False
    return rows.strip() not in ("", "0")
