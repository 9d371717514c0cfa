"""A class of three groups for real: the driver on the Automation API, the engine, the openstack
plugin and the local OpenStack, every outcome checked through openstacksdk.

In file order, as a teacher goes: an ``up`` interrupted (Ctrl-C) after its first group, then
completed by a second ``up``; every group's project, quotas and lab as the admin sees them;
each group's user seeing its own lab and nothing of the others'; ``status``, healthy and then
with a server deleted behind the stack's back; a handout whose clouds.yaml entry logs in;
``down`` leaving no project, user, server or floating IP of the class. Needs ``make toolchain``
(the engine and the openstack plugin) and the local cloud; without them the tests fail.
"""

from __future__ import annotations

import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
import yaml
from openstack.connection import Connection

from classroom.checks import connect_as, leftovers
from tests.classroom.class_run import SERVERS_PER_LAB, ClassRun, admin, class_projects, servers_of

pytestmark = [pytest.mark.engine, pytest.mark.openstack, pytest.mark.usefixtures("local_openstack")]

GROUPS = ["g01", "g02", "g03"]


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClassRun]:
    run = ClassRun.make(tmp_path_factory.mktemp("class"), GROUPS)
    try:
        yield run
    finally:
        run.run("down", timeout=1800)  # whatever a failed test left


@pytest.fixture(scope="module")
def conn() -> Iterator[Connection]:
    connection = admin()
    yield connection
    connection.close()


def rows(output: str) -> dict[str, list[str]]:
    """The final table's rows by group."""
    found = {}
    for line in output.splitlines():
        cells = line.split()
        if len(cells) >= 5 and cells[0] in GROUPS and cells[1] == f"group-{cells[0]}":
            found[cells[0]] = cells
    return found


def test_an_interrupted_up_is_completed_by_the_next(klass: ClassRun, conn: Connection) -> None:
    proc = klass.popen("up")
    seen: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if re.match(r"\[1/3 .*\] up g0\d: ", line):
            klass.interrupt(proc)
            break
    rest, _ = proc.communicate(timeout=900)
    first = "".join(seen) + rest
    assert proc.returncode != 0, first
    done_first = [g for g in GROUPS if re.search(rf"up {g}: ok", first)]
    assert len(done_first) < 3, f"the interruption came too late to test anything:\n{first}"

    second = klass.run("up")
    assert second.returncode == 0, second.stdout[-6000:]
    table = rows(second.stdout)
    assert sorted(table) == GROUPS
    assert all(cells[2] == "ok" for cells in table.values()), second.stdout
    assert all(cells[4].startswith("http://") for cells in table.values())
    assert len(re.findall(r"^\[\d/3 .*\] up g0\d: ok", second.stdout, re.M)) == 3


def test_every_group_has_its_project_quotas_and_lab(klass: ClassRun, conn: Connection) -> None:
    projects = class_projects(conn, klass.prefix)
    assert sorted(projects) == [f"{klass.prefix}{g}" for g in GROUPS]
    users = sorted(u.name for u in conn.identity.users() if u.name.startswith(klass.prefix))
    assert users == sorted(projects)
    for group in GROUPS:
        project = projects[f"{klass.prefix}{group}"]
        servers = servers_of(conn, project.id)
        assert len(servers) == SERVERS_PER_LAB, servers
        assert all(name.startswith(f"calc-{group}-") for name in servers)
        assert set(servers.values()) == {"ACTIVE"}
        ips = [ip for ip in conn.network.ips(project_id=project.id)]
        assert len(ips) == 1
        quota = conn.compute.get_quota_set(project.id)
        assert quota.instances == 8  # 5 VMs x 1.5, rounded up
        network = conn.network.get_quota(project.id)
        assert network.floating_ips == 2
        roles = list(conn.identity.role_assignments(user_id=_user(conn, project.name).id))
        assert {r.scope["project"]["id"] for r in roles} == {project.id}


def _user(conn: Connection, name: str) -> Any:
    return next(u for u in conn.identity.users() if u.name == name)


def test_a_groups_user_sees_its_own_lab_and_nothing_of_the_others(klass: ClassRun) -> None:
    creds = klass.credentials()
    assert sorted(creds) == GROUPS
    views = {}
    for group in GROUPS:
        c = connect_as(creds[group])
        try:
            servers = list(c.compute.servers())
            views[group] = {
                "servers": {s.id: s.name for s in servers},
                "ips": {ip.id for ip in c.network.ips()},
                "networks": {
                    n.id: n.name for n in c.network.networks() if not n.is_router_external
                },
                "project": c.current_project_id,
            }
        finally:
            c.close()
    for group, view in views.items():
        assert len(view["servers"]) == SERVERS_PER_LAB
        assert all(n.startswith(f"calc-{group}-") for n in view["servers"].values())
        assert all(n.startswith(f"calc-{group}") for n in view["networks"].values())
        assert len(view["ips"]) == 1
    c = connect_as(creds["g01"])
    try:
        for other in ("g02", "g03"):
            for server_id in views[other]["servers"]:
                with pytest.raises(openstack.exceptions.NotFoundException):
                    c.compute.get_server(server_id)
            for network_id in views[other]["networks"]:
                with pytest.raises(openstack.exceptions.NotFoundException):
                    c.network.get_network(network_id)
        # Asking for every project's servers: refused, or answered with its own alone.
        try:
            everything = {s.id for s in c.compute.servers(all_projects=True)}
        except openstack.exceptions.ForbiddenException:
            everything = set(views["g01"]["servers"])
        assert everything == set(views["g01"]["servers"])
        others = {ip.id for ip in c.network.ips(project_id=views["g02"]["project"])}
        assert others <= views["g01"]["ips"]
    finally:
        c.close()


def test_status_reports_every_lab_and_sees_a_missing_server(
    klass: ClassRun, conn: Connection
) -> None:
    healthy = klass.run("status")
    assert healthy.returncode == 0, healthy.stdout[-4000:]
    table = rows(healthy.stdout)
    assert sorted(table) == GROUPS and {c[2] for c in table.values()} == {"ok"}
    assert "last update succeeded" in healthy.stdout

    project = class_projects(conn, klass.prefix)[f"{klass.prefix}g02"]
    victim = next(
        s
        for s in conn.compute.servers(all_projects=True, project_id=project.id)
        if s.project_id == project.id
    )
    conn.compute.delete_server(victim)
    conn.compute.wait_for_delete(victim, wait=120)
    degraded = klass.run("status")
    assert degraded.returncode == 1
    table = rows(degraded.stdout)
    assert table["g02"][2] == "degraded" and table["g01"][2] == table["g03"][2] == "ok"
    assert f"{SERVERS_PER_LAB - 1} of {SERVERS_PER_LAB} servers" in degraded.stdout


def test_a_handout_logs_its_group_in(klass: ClassRun) -> None:
    path = klass.tmp / "handouts" / "g03.md"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None
    clouds = yaml.safe_load(block.group(1))["clouds"]
    ((name, entry),) = clouds.items()
    c = openstack.connect(
        auth_url=entry["auth"]["auth_url"],
        username=entry["auth"]["username"],
        password=entry["auth"]["password"],
        project_name=entry["auth"]["project_name"],
        user_domain_id=entry["auth"]["user_domain_id"],
        project_domain_id=entry["auth"]["project_domain_id"],
        region_name=entry["region_name"],
    )
    try:
        ips = [ip.floating_ip_address for ip in c.network.ips()]
        assert c.current_project.name == name == f"{klass.prefix}g03"
    finally:
        c.close()
    assert len(ips) == 1
    assert f"Floating IP: `{ips[0]}`" in text
    assert f"http://{ips[0]}:50005" in text


def test_down_leaves_nothing_of_the_class(klass: ClassRun, conn: Connection) -> None:
    ids = [p.id for p in class_projects(conn, klass.prefix).values()]
    assert len(ids) == 3
    res = klass.run("down")
    assert res.returncode == 0, res.stdout[-6000:]
    assert "left in the cloud (admin's count): nothing" in res.stdout
    time.sleep(1)
    left = leftovers(conn, klass.prefix, ids)
    assert left.empty, str(left)
    assert not list(Path(klass.tmp / "handouts").glob("*.md"))
