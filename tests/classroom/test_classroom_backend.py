"""A class in a shared PostgreSQL backend (``make classroom-backend``): two drivers (two
teachers, two workspaces) bring up two groups at once; a second ``up`` of a stack whose update
is running is refused, naming the lock's owner. Needs the engine, the openstack plugin, the
local cloud and PostgreSQL (installed by the script's apt step); without them the tests fail.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from openstack.connection import Connection

from cloudlab_tools.pulumi_cli import REPO
from tests.classroom.class_run import SERVERS_PER_LAB, ClassRun, admin, class_projects, servers_of
from tests.processes import descendants, snapshot

pytestmark = [pytest.mark.engine, pytest.mark.openstack, pytest.mark.usefixtures("local_openstack")]

SCRIPT = str(REPO / "scripts" / "classroom-backend.sh")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Our own PostgreSQL on 127.0.0.1 with a database and role for Pulumi; removed after."""
    home = tmp_path_factory.mktemp("pg") / f"pg-{secrets.token_hex(4)}"
    pg_dir = home / "pg" if os.geteuid() else Path("/var/lib/cloudlab/postgres") / home.name
    env = {
        **os.environ,
        "CLOUDLAB_HOME": str(home),
        "CLOUDLAB_STATE_DIR": str(home / "state"),
        "CLOUDLAB_PG_PORT": str(free_port()),
        "CLOUDLAB_PG_DIR": str(pg_dir),
    }
    for key in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_HOME"):
        env.pop(key, None)
    up = subprocess.run([SCRIPT, "up"], env=env, capture_output=True, text=True, check=False)
    assert up.returncode == 0, up.stderr
    login = up.stdout.strip()
    passfile = home / "state" / "postgres.pgpass"
    assert login == (
        f"pulumi login 'postgres://pulumi@127.0.0.1:{env['CLOUDLAB_PG_PORT']}/pulumi"
        f"?sslmode=disable&passfile={passfile}'"
    )
    # The password is in the passfile alone (mode 600), never in the URL a teacher copies.
    password = (home / "state" / "postgres.password").read_text().strip()
    assert password and password not in up.stdout + up.stderr
    assert passfile.stat().st_mode & 0o777 == 0o600
    assert passfile.read_text().strip().endswith(f":pulumi:pulumi:{password}")
    url = login.split("'")[1]
    try:
        yield url
    finally:
        subprocess.run([SCRIPT, "down"], env=env, capture_output=True, check=False)
        shutil.rmtree(pg_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[ClassRun]:
    run = ClassRun.make(tmp_path_factory.mktemp("shared"), ["g01", "g02"], backend, name="s")
    try:
        yield run
    finally:
        run.run("down", work="work-a")


@pytest.fixture(scope="module")
def conn() -> Iterator[Connection]:
    connection = admin()
    yield connection
    connection.close()


def test_the_backend_listens_on_loopback_alone(backend: str) -> None:
    from urllib.parse import urlsplit

    port = urlsplit(backend).port
    res = subprocess.run(
        ["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True
    )
    addresses = {line.split()[3] for line in res.stdout.splitlines()}
    assert addresses == {f"127.0.0.1:{port}"}


def test_two_drivers_bring_up_two_groups_at_once(klass: ClassRun, conn: Connection) -> None:
    a = klass.popen("up", "--group", "g01", work="work-a")
    b = klass.popen("up", "--group", "g02", work="work-b")
    out_a, _ = a.communicate(timeout=1800)
    out_b, _ = b.communicate(timeout=1800)
    assert a.returncode == 0, out_a[-5000:]
    assert b.returncode == 0, out_b[-5000:]
    assert re.search(r"up g01: ok", out_a) and re.search(r"up g02: ok", out_b)
    listed = subprocess.run(
        ["pulumi", "stack", "ls", "--all", "--json", "--non-interactive"],
        cwd=klass.tmp / "work-a" / "classroom",
        env={**klass.env, "PULUMI_BACKEND_URL": klass.backend},
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    for stack in ("classroom", "group-g01", "group-g02"):
        assert f'"{stack}"' in listed.stdout or f'/{stack}"' in listed.stdout, listed.stdout
    projects = class_projects(conn, klass.prefix)
    for group in ("g01", "g02"):
        servers = servers_of(conn, projects[f"{klass.prefix}{group}"].id)
        assert len(servers) == SERVERS_PER_LAB and set(servers.values()) == {"ACTIVE"}


def _pulumi_running(driver: subprocess.Popen[str], verb: str, stack: str) -> int | None:
    """The pid of the driver's ``pulumi <verb>`` of ``stack``, once it runs."""
    for proc in descendants(driver.pid, snapshot()):
        line = proc.cmdline()
        if re.match(r"^\S*pulumi ", line) and f" {verb} " in f"{line} " and stack in line:
            return proc.pid
    return None


def test_a_second_up_on_a_busy_stack_is_refused_naming_its_owner(klass: ClassRun) -> None:
    # One teacher takes group g01's lab down; another brings it up meanwhile.
    a = klass.popen("down", "--group", "g01", work="work-a")
    deadline, owner = time.monotonic() + 300, None
    while owner is None and time.monotonic() < deadline and a.poll() is None:
        owner = _pulumi_running(a, "destroy", "group-g01")
        time.sleep(0.2)
    assert owner is not None, "the first driver's destroy never started"
    time.sleep(2)  # the destroy takes its lock as it starts
    b = klass.run("up", "--group", "g01", "--labs-only", work="work-b", timeout=600)
    out_a, _ = a.communicate(timeout=1800)
    assert a.returncode == 0, out_a[-5000:]
    assert b.returncode == 1, b.stdout[-5000:]
    assert re.search(r"up g01: locked", b.stdout), b.stdout[-3000:]
    assert f"(pid {owner})" in b.stdout
    assert f"@{socket.gethostname()}" in b.stdout
    assert "pulumi cancel --yes --stack group-g01" in b.stdout


def test_down_through_the_shared_backend_leaves_nothing(klass: ClassRun, conn: Connection) -> None:
    ids = [p.id for p in class_projects(conn, klass.prefix).values()]
    res = klass.run("down", work="work-b")  # the other teacher's workspace: the state is shared
    assert res.returncode == 0, res.stdout[-5000:]
    assert "left in the cloud (admin's count): nothing" in res.stdout
    from classroom.checks import leftovers

    assert leftovers(conn, klass.prefix, ids).empty
