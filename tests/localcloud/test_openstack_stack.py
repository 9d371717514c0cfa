"""The openstack stack for real: the bridged provider plugin against the local OpenStack.

``pulumi preview`` and ``up`` of the calculator lab (secured, then flat), then every fact checked
through openstacksdk, never through Pulumi's view: the networks, the front end's host route, the
routers' legs, the one floating IP, the exact security-group rules, five servers ACTIVE with their
user data. Then a second ``up`` that changes nothing, drift made with the ``openstack`` CLI that
``refresh`` shows and ``up`` repairs, a resize, a snapshot and a VM booted from it, the quota
pre-flight refusing a lab that does not fit, the policy pack on a real preview, and ``destroy``
leaving nothing the stack created.

The tests of one lab share one deployment and run in file order (up, checks, changes, destroy):
each step is what a user does next. Needs ``make toolchain`` (the engine and the openstack
plugin) and the local cloud (started by the session fixture when it is down); without them they
fail.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
import yaml
from openstack.connection import Connection

from localcloud.openstack import ADMIN_CLOUD_NAME, CLOUD_NAME, Layout
from tests.engine.pulumi_project import REPO, PulumiProject, make_project
from tests.localcloud.project import project_counts

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("local_openstack")]

FRONTEND, BACKEND = "192.168.210.0/24", "192.168.18.0/24"
ALLOWED = "203.0.113.0/24"  # who may reach the calculator in these tests
OPERAND_PORTS = {"sum": 50001, "sub": 50002, "mul": 50003, "div": 50004}
POLICY = str(REPO / "policy")


@pytest.fixture(scope="module")
def conn() -> Iterator[Connection]:
    """openstacksdk as the lab's user: the project the stack builds in. It must hold no lab
    already (a stack deployed by hand, or an interrupted run): the checks count by name."""
    connection = openstack.connect(cloud=CLOUD_NAME)
    project = connection.current_project_id
    there = [s.name for s in connection.compute.servers() if s.name.startswith("calc-")] + [
        n.name
        for n in connection.network.networks(project_id=project)
        if n.name.startswith("calc-")
    ]
    if there:
        connection.close()
        pytest.fail(
            f"the local cloud's project already holds a calculator lab ({', '.join(there)}): "
            "destroy that stack (or `make openstack-down` and remove ~/.cloudlab/openstack for "
            "a fresh cloud) before these tests"
        )
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def admin() -> Iterator[Connection]:
    """openstacksdk as the cloud's admin: user data, quotas."""
    connection = openstack.connect(cloud=ADMIN_CLOUD_NAME)
    yield connection
    connection.close()


def openstack_project(tmp: Path) -> PulumiProject:
    """A copy of the project with the openstack plugin, pointed at the local cloud.

    The snapshot resource runs the ``openstack`` client, which the local cloud's venv has: it
    alone is put on PATH, not the rest of that venv.
    """
    project = make_project(tmp, plugins=("openstack",))
    cli_dir = tmp / "openstack-cli"
    cli_dir.mkdir()
    (cli_dir / "openstack").symlink_to(Layout.default().bin("openstack"))
    project.env["PATH"] = f"{cli_dir}:{project.env['PATH']}"
    project.env["OS_CLOUD"] = CLOUD_NAME
    return project


def configure(project: PulumiProject, stack: str, key: str, **values: object) -> None:
    """Merge ``values`` into the stack's ``cloudlab:<key>`` object, in its config file."""
    path = project.workdir / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text())
    section = document.setdefault("config", {}).setdefault(f"cloudlab:{key}", {})
    section.update(values)
    path.write_text(yaml.safe_dump(document))


def by_name(items: list[Any], name: str) -> Any:
    found = [i for i in items if i.name == name]
    assert len(found) == 1, f"expected one {name!r}, found {[i.name for i in items]}"
    return found[0]


def ingress(conn: Connection, group_id: str) -> set[tuple[str, int | None, int | None, str]]:
    return {
        (r.protocol, r.port_range_min, r.port_range_max, r.remote_ip_prefix)
        for r in conn.network.security_group_rules(security_group_id=group_id)
        if r.direction == "ingress"
    }


# --- the secured lab, from preview to destroy ---------------------------------------------


@pytest.fixture(scope="module")
def secured(
    tmp_path_factory: pytest.TempPathFactory, conn: Connection
) -> Iterator[tuple[PulumiProject, dict[str, int]]]:
    before = project_counts(conn)
    project = openstack_project(tmp_path_factory.mktemp("os-secured"))
    project.stack("secured", config_from="openstack")
    configure(project, "secured", "calculator", allowedCidrs=[ALLOWED])
    try:
        yield project, before
    finally:
        project.run("destroy", "--yes", "--stack", "secured", check=False)


def test_preview_plans_the_whole_lab(secured: tuple[PulumiProject, dict[str, int]]) -> None:
    project, _ = secured
    res = project.run("preview", "--stack", "secured", "--json")
    steps = json.loads(res.stdout)["steps"]
    creates = [s for s in steps if s["op"] == "create"]
    types = {s["urn"].split("::")[2].split("$")[-1] for s in creates}
    assert "openstack:compute/instance:Instance" in types
    assert sum(s["urn"].endswith("-vm") for s in creates) == 5


def test_up_creates_the_lab(secured: tuple[PulumiProject, dict[str, int]]) -> None:
    project, _ = secured
    project.run("up", "--yes", "--stack", "secured")
    assert project.output("calculatorUrl", "secured").endswith(":50005")


def test_networks_subnets_and_the_host_route(
    secured: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    networks = list(conn.network.networks(project_id=conn.current_project_id))
    front = conn.network.find_subnet("calc-frontend-subnet")
    back = conn.network.find_subnet("calc-backend-subnet")
    assert {n.name for n in networks} >= {"calc-frontend", "calc-backend"}
    assert (front.cidr, front.gateway_ip) == (FRONTEND, "192.168.210.254")
    assert (back.cidr, back.gateway_ip) == (BACKEND, "192.168.18.1")
    # the route the lab typed by hand, declared: the back end via the internal router
    assert front.host_routes == [{"destination": BACKEND, "nexthop": "192.168.210.1"}]
    assert back.host_routes == []


def test_routers_legs_and_external_gateway(
    secured: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    routers = list(conn.network.routers(project_id=conn.current_project_id))
    internal, edge = by_name(routers, "calc-internal"), by_name(routers, "calc-edge")
    legs = {
        ip["ip_address"] for p in conn.network.ports(device_id=internal.id) for ip in p.fixed_ips
    }
    assert legs == {"192.168.210.1", "192.168.18.1"}
    assert internal.external_gateway_info is None
    public = conn.network.find_network("public")
    assert edge.external_gateway_info["network_id"] == public.id
    edge_legs = {
        ip["ip_address"]
        for p in conn.network.ports(device_id=edge.id, device_owner="network:router_interface")
        for ip in p.fixed_ips
    }
    assert edge_legs == {"192.168.210.254"}


def test_one_floating_ip_on_the_calculator(
    secured: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    (fip,) = list(conn.network.ips(project_id=conn.current_project_id))
    port = conn.network.get_port(fip.port_id)
    assert port.name == "calc-calculator"
    assert fip.floating_network_id == conn.network.find_network("public").id


def test_security_group_rules_exactly_as_configured(
    secured: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    groups = list(conn.network.security_groups(project_id=conn.current_project_id))
    gateway = by_name(groups, "calc-gateway")
    assert ingress(conn, gateway.id) == {("tcp", 50005, 50005, ALLOWED)}
    for operator, port in OPERAND_PORTS.items():
        group = by_name(groups, f"calc-{operator}")
        assert ingress(conn, group.id) == {("tcp", port, port, FRONTEND)}
    # no SSH by default, anywhere
    for group in groups:
        assert all(r[1] != 22 for r in ingress(conn, group.id)), group.name


def egress(conn: Connection, group_id: str) -> set[tuple[str, str, int | None, str | None]]:
    return {
        (r.ether_type, r.protocol, r.port_range_min, r.remote_ip_prefix)
        for r in conn.network.security_group_rules(security_group_id=group_id)
        if r.direction == "egress"
    }


def test_egress_is_only_what_each_vm_needs(
    secured: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    """Neutron's default egress (everything, IPv4 and IPv6) is gone: the calculator reaches
    the operands' ports on the back end and the metadata service; an operand only the
    metadata service (cloud-init's user data)."""
    groups = list(conn.network.security_groups(project_id=conn.current_project_id))
    metadata = ("IPv4", "tcp", 80, "169.254.169.254/32")
    gateway = by_name(groups, "calc-gateway")
    assert egress(conn, gateway.id) == {
        metadata,
        *(("IPv4", "tcp", port, BACKEND) for port in OPERAND_PORTS.values()),
    }
    for operator in OPERAND_PORTS:
        assert egress(conn, by_name(groups, f"calc-{operator}").id) == {metadata}, operator


def test_five_servers_active_on_their_networks(
    secured: tuple[PulumiProject, dict[str, int]], conn: Connection, admin: Connection
) -> None:
    servers = {s.name: s for s in conn.compute.servers()}
    names = {"calc-calculator", *(f"calc-{op}" for op in OPERAND_PORTS)}
    assert set(servers) == names
    for name, server in servers.items():
        assert server.status == "ACTIVE", (name, server.status)
        network = "calc-frontend" if name == "calc-calculator" else "calc-backend"
        assert list(server.addresses) == [network], (name, server.addresses)
        (address,) = [
            a for a in server.addresses[network] if a.get("OS-EXT-IPS:type", "fixed") == "fixed"
        ]
        subnet = FRONTEND if name == "calc-calculator" else BACKEND
        assert address["addr"].startswith(subnet.rsplit(".", 1)[0] + "."), address
        # user data is an admin-only attribute of a server
        user_data = base64.b64decode(admin.compute.get_server(server.id).user_data).decode()
        service = name.removeprefix("calc-")
        assert "cloud-config" in user_data.splitlines()[0]
        port = 50005 if service == "calculator" else OPERAND_PORTS[service]
        assert str(port) in user_data, (name, user_data[:400])


def test_second_up_changes_nothing(secured: tuple[PulumiProject, dict[str, int]]) -> None:
    project, _ = secured
    project.run("up", "--yes", "--expect-no-changes", "--stack", "secured")


def test_drift_is_shown_by_refresh_and_repaired_by_up(
    secured: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    project, _ = secured
    cli = str(Layout.default().bin("openstack"))
    env = {"OS_CLOUD": CLOUD_NAME, "PATH": "/usr/bin:/bin"}
    (fip,) = list(conn.network.ips(project_id=conn.current_project_id))
    calculator_port = fip.port_id
    gateway = conn.network.find_security_group("calc-gateway")
    (rule,) = [
        r
        for r in conn.network.security_group_rules(security_group_id=gateway.id)
        if r.direction == "ingress"
    ]
    for command in (["floating", "ip", "unset", "--port", fip.id],
                    ["security", "group", "rule", "delete", rule.id]):  # fmt: skip
        subprocess.run([cli, *command], env=env, check=True, capture_output=True, timeout=120)
    assert conn.network.get_ip(fip.id).port_id is None

    refresh = project.run("refresh", "--yes", "--stack", "secured")
    assert "calc-calculator-fip-assoc" in refresh.stdout, refresh.stdout[-3000:]
    assert "calc-gateway-tcp-50005-from-203-0-113-0-24" in refresh.stdout, refresh.stdout[-3000:]
    project.run("up", "--yes", "--stack", "secured")
    assert conn.network.get_ip(fip.id).port_id == calculator_port
    assert ingress(conn, gateway.id) == {("tcp", 50005, 50005, ALLOWED)}
    project.run("up", "--yes", "--expect-no-changes", "--stack", "secured")


def test_resize_in_place(secured: tuple[PulumiProject, dict[str, int]], conn: Connection) -> None:
    project, _ = secured
    ids = {s.name: s.id for s in conn.compute.servers()}
    configure(project, "secured", "calculator", flavor="medium")
    project.run("up", "--yes", "--stack", "secured")
    servers = {s.name: s for s in conn.compute.servers()}
    assert {n: s.id for n, s in servers.items()} == ids  # the same servers, not new ones
    for server in servers.values():
        assert server.status == "ACTIVE"
        assert server.flavor.name == "medium", (server.name, server.flavor)


def test_snapshot_and_a_vm_booted_from_it(
    secured: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    project, _ = secured
    configure(
        project,
        "secured",
        "vmOperations",
        snapshots={"calc-snap": "calculator"},
        restored={"calculator-copy": "calc-snap"},
        openstackCloud=CLOUD_NAME,
    )
    project.run("up", "--yes", "--stack", "secured")
    image = conn.image.find_image("calc-snap")
    assert image is not None and image.status == "active"
    assert image.size and image.size > 0
    copy = conn.compute.find_server("calc-calculator-copy")
    assert copy is not None
    copy = conn.compute.get_server(copy.id)
    assert copy.status == "ACTIVE"
    assert copy.image.id == image.id
    assert list(copy.addresses) == ["calc-frontend"]
    assert json.loads(project.output("snapshots", "secured") or "{}") == {"calc-snap": image.id}


def test_destroy_leaves_nothing(
    secured: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    project, before = secured
    project.run("destroy", "--yes", "--stack", "secured")
    assert project_counts(conn) == before


# --- the pre-flight quota check and the policy pack, on real previews ------------------------


@pytest.fixture
def tight_instances(admin: Connection, conn: Connection) -> Iterator[int]:
    """The lab's project limited to 3 instances for one test."""
    project = admin.identity.get_project(conn.current_project_id)
    saved = admin.compute.get_quota_set(project).instances
    admin.compute.update_quota_set(project, instances=3)
    try:
        yield 3
    finally:
        admin.compute.update_quota_set(project, instances=saved)


def test_a_lab_over_quota_is_refused_before_anything_is_created(
    tmp_path: Path, conn: Connection, tight_instances: int
) -> None:
    before = project_counts(conn)
    project = openstack_project(tmp_path)
    project.stack("quota", config_from="openstack")
    for command in ("preview", "up"):
        args = [command, "--stack", "quota"] + (["--yes"] if command == "up" else [])
        res = project.run(*args, check=False)
        out = res.stdout + res.stderr
        assert res.returncode != 0, out
        # the lab's user is a member: Nova shows it the limits, not the usage
        assert f"instances: the lab needs 5, the project's limit is {tight_instances}" in out, out[
            -3000:
        ]
    assert project_counts(conn) == before


def test_policy_pack_on_a_real_preview(tmp_path: Path, conn: Connection) -> None:
    before = project_counts(conn)
    project = openstack_project(tmp_path)
    project.stack("policy", config_from="openstack")
    clean = project.run("preview", "--stack", "policy", "--policy-pack", POLICY)
    assert "cloudlab-guardrails@v1.0.0" in clean.stdout
    assert "[mandatory]" not in clean.stdout, clean.stdout[-3000:]

    configure(project, "policy", "calculator", sshAllowedCidrs=["0.0.0.0/0"])
    refused = project.run("preview", "--stack", "policy", "--policy-pack", POLICY, check=False)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out[-3000:]
    assert "sshAllowedCidrs" in out and "allowWorldOpen" in out, out[-3000:]  # the config
    # Meant, the config lets it through; the pack still stops it (its own config decides).
    configure(project, "policy", "calculator", allowWorldOpen=True)
    bad = project.run("preview", "--stack", "policy", "--policy-pack", POLICY, check=False)
    out = bad.stdout + bad.stderr
    assert bad.returncode != 0, out[-3000:]
    assert "[mandatory]" in out and "0.0.0.0/0" in out, out[-3000:]
    assert project_counts(conn) == before  # previews create nothing


# --- the flat lab -------------------------------------------------------------------------


def test_flat_lab_up_and_destroy(tmp_path: Path, conn: Connection) -> None:
    before = project_counts(conn)
    project = openstack_project(tmp_path)
    project.stack("flat", config_from="openstack")
    configure(project, "flat", "calculator", topology="flat")
    try:
        project.run("up", "--yes", "--stack", "flat")
        networks = [n.name for n in conn.network.networks(project_id=conn.current_project_id)]
        assert networks == ["calc-private"]
        servers = list(conn.compute.servers())
        assert len(servers) == 5 and all(s.status == "ACTIVE" for s in servers)
        assert all(list(s.addresses) == ["calc-private"] for s in servers)
        (fip,) = list(conn.network.ips(project_id=conn.current_project_id))
        assert conn.network.get_port(fip.port_id).name == "calc-calculator"
        routers = list(conn.network.routers(project_id=conn.current_project_id))
        assert [r.name for r in routers] == ["calc-edge"]
    finally:
        project.run("destroy", "--yes", "--stack", "flat")
    assert project_counts(conn) == before
