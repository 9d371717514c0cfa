"""The calculator lab's data plane on the local OpenStack: what a student checks, from outside.

``pulumi up`` of the openstack stack builds servers that run (containers booted by nova from the
Glance image, cloud-init writing each service's unit from the user data), wired by Neutron's own
agents on Open vSwitch (userspace datapath): DHCP, the routers' namespaces, SNAT and floating-IP
NAT, security groups as OpenFlow rules. Every reachability check runs from the tests' "outside",
a network namespace whose only route is the public network (localcloud.openstack.outside), and
every fact is read through openstacksdk or Docker, never through Pulumi's view.

The tests share one deployment of the secured lab and run in file order, as a user would act;
the flat lab comes last. Needs the engine and the openstack plugin (``make toolchain``), Docker,
and the local cloud with its data plane (started by the session fixture); without them they fail.
"""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Iterator

import pytest
from openstack.connection import Connection

from localcloud.openstack import Layout, ovs
from localcloud.openstack.outside import Outside
from tests.engine.pulumi_project import PulumiProject
from tests.localcloud.test_openstack_stack import (  # noqa: F401 (fixtures)
    admin,
    configure,
    conn,
    openstack_project,
)

pytestmark = [pytest.mark.openstack, pytest.mark.engine, pytest.mark.usefixtures("local_openstack")]

STACK = "dataplane"
OPERAND_PORTS = {"sum": 50001, "sub": 50002, "mul": 50003, "div": 50004}
ANSWER = "result = 22"
BOOT_S = 240  # from ACTIVE to the service answering: systemd, DHCP, cloud-init, the unit
APPLY_S = 60  # for the OVS agent to turn a security-group change into flows
CONTAINER_LABEL = "cloudlab.openstack.instance"


def wait_for_answer(outside: Outside, address: str, expected: str = ANSWER) -> str:
    """POST (5+6)*2 from outside until the calculator answers ``expected``; the last reply."""
    deadline = time.monotonic() + BOOT_S
    reply = ""
    while time.monotonic() < deadline:
        result = outside.post(address, 50005, timeout=5)
        reply = (result.stdout + result.stderr).strip()
        if reply == expected:
            return reply
        time.sleep(3)
    return reply


def refused(outside: Outside, address: str, port: int = 50005) -> bool:
    """Whether a POST from outside to ``address:port`` gets no answer."""
    result = outside.post(address, port, timeout=5)
    return result.returncode != 0 and ANSWER not in result.stdout


def closes(outside: Outside, address: str, within_s: float = APPLY_S) -> bool:
    """Whether the calculator stops answering from outside within ``within_s``: the OVS agent
    applies a security-group change asynchronously, after the API call returned."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if refused(outside, address):
            return True
        time.sleep(2)
    return False


def floating_ip(connection: Connection) -> str:
    """The lab's one floating IP, read through openstacksdk."""
    (fip,) = list(connection.network.ips(project_id=connection.current_project_id))
    return fip.floating_ip_address


def docker(*args: str) -> str:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def server_container(server_id: str) -> str:
    return f"cloudlab-server-{server_id}"


def containers_of(server_ids: set[str]) -> list[str]:
    """The Docker containers (any state) that the cloud's driver made for these servers: a
    destroy must leave none. Only these: another run's or another project's are not counted."""
    listed = docker(
        "ps", "-a", "--filter", f"label={CONTAINER_LABEL}",
        "--format", f'{{{{.ID}}}} {{{{.Label "{CONTAINER_LABEL}"}}}}',
    )  # fmt: skip
    return [line for line in listed.splitlines() if line.split()[-1] in server_ids]


@pytest.fixture(scope="module")
def outside() -> Iterator[Outside]:
    """The student's laptop: a namespace on the public network, nothing else routed."""
    laptop = Outside(name="cl-outside").create()
    try:
        yield laptop
    finally:
        laptop.delete()


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory,
    conn: Connection,  # noqa: F811
) -> Iterator[PulumiProject]:
    """The secured lab, open to the public network only; destroyed at the end."""
    project = openstack_project(tmp_path_factory.mktemp("os-dataplane"))
    project.stack(STACK, config_from="openstack")
    configure(project, STACK, "calculator", allowedCidrs=[ovs.PUBLIC_CIDR])
    try:
        yield project
    finally:
        project.run("destroy", "--yes", "--stack", STACK, check=False)


def test_up_then_curl_at_the_floating_ip_answers_22(
    lab: PulumiProject,
    conn: Connection,  # noqa: F811
    outside: Outside,
) -> None:
    lab.run("up", "--yes", "--stack", STACK)
    address = floating_ip(conn)
    assert outside.route_dev(address) == "eth0"
    assert wait_for_answer(outside, address) == ANSWER


def test_each_server_is_a_running_container_plugged_into_br_int(
    lab: PulumiProject,
    conn: Connection,  # noqa: F811
) -> None:
    layout = Layout.default()
    ports = ovs.vsctl(layout, "list-ports", ovs.INTEGRATION_BRIDGE).split()
    for server in conn.compute.servers():
        state = docker("inspect", "-f", "{{.State.Status}}", server_container(server.id)).strip()
        assert state == "running", (server.name, state)
        (port,) = list(conn.network.ports(device_id=server.id))
        assert port.status == "ACTIVE", (server.name, port.status)
        tap = f"tap{port.id[:11]}"
        assert tap in ports, (server.name, ports)
        ids = ovs.vsctl(layout, "get", "Interface", tap, "external_ids")
        assert f'iface-id="{port.id}"' in ids and f'attached-mac="{port.mac_address}"' in ids


def test_operands_have_no_floating_ip_and_are_unreachable_from_outside(
    lab: PulumiProject,
    conn: Connection,  # noqa: F811
    outside: Outside,
) -> None:
    fips = list(conn.network.ips(project_id=conn.current_project_id))
    assert [conn.network.get_port(f.port_id).name for f in fips] == ["calc-calculator"]
    edge = conn.network.find_router("calc-edge")
    gateway = edge.external_gateway_info["external_fixed_ips"][0]["ip_address"]
    # A student who routes the lab's ranges at the edge router's public address still reaches
    # no operand: the edge router knows no back end, and the groups admit the front end only.
    outside.run(["ip", "route", "add", "192.168.0.0/16", "via", gateway])
    try:
        for operator, port in OPERAND_PORTS.items():
            server = conn.compute.find_server(f"calc-{operator}")
            (fixed,) = [ip for p in conn.network.ports(device_id=server.id) for ip in p.fixed_ips]
            assert outside.route_dev(fixed["ip_address"]) == "eth0"
            assert refused(outside, fixed["ip_address"], port), operator
    finally:
        outside.run(["ip", "route", "del", "192.168.0.0/16"], check=False)


def test_gateway_routes_the_back_end_via_the_internal_router_from_the_subnet(
    lab: PulumiProject,
    conn: Connection,  # noqa: F811
    admin: Connection,  # noqa: F811
) -> None:
    server = conn.compute.find_server("calc-calculator")
    routes = docker("exec", server_container(server.id), "ip", "route", "show")
    assert "192.168.18.0/24 via 192.168.210.1" in routes, routes
    # nobody typed it: the user data holds no route command, the subnet holds the route
    user_data = admin.compute.get_server(server.id).user_data or ""
    assert "route" not in base64.b64decode(user_data).decode()
    front = conn.network.find_subnet("calc-frontend-subnet")
    assert {"destination": "192.168.18.0/24", "nexthop": "192.168.210.1"} in front.host_routes


def test_allowed_cidrs_excluding_the_outside_refuse_then_reopen(
    lab: PulumiProject,
    conn: Connection,  # noqa: F811
    outside: Outside,
) -> None:
    address = floating_ip(conn)
    configure(lab, STACK, "calculator", allowedCidrs=["203.0.113.0/24"])
    lab.run("up", "--yes", "--stack", STACK)
    assert closes(outside, address)
    configure(lab, STACK, "calculator", allowedCidrs=[ovs.PUBLIC_CIDR])
    lab.run("up", "--yes", "--stack", STACK)
    assert wait_for_answer(outside, address) == ANSWER


def test_drift_deleted_rule_closes_refresh_shows_up_repairs(
    lab: PulumiProject,
    conn: Connection,  # noqa: F811
    outside: Outside,
) -> None:
    address = floating_ip(conn)
    gateway = conn.network.find_security_group("calc-gateway")
    (rule,) = [
        r
        for r in conn.network.security_group_rules(security_group_id=gateway.id)
        if r.direction == "ingress" and r.port_range_min == 50005
    ]
    conn.network.delete_security_group_rule(rule)
    assert closes(outside, address)
    refresh = lab.run("refresh", "--yes", "--stack", STACK)
    assert "calc-gateway-tcp-50005" in refresh.stdout, refresh.stdout[-3000:]
    lab.run("up", "--yes", "--stack", STACK)
    assert wait_for_answer(outside, address) == ANSWER


def test_stop_start_and_reboot_act_on_the_container(
    lab: PulumiProject,
    conn: Connection,  # noqa: F811
    outside: Outside,
) -> None:
    address = floating_ip(conn)
    server = conn.compute.find_server("calc-calculator")
    container = server_container(server.id)
    conn.compute.stop_server(server)
    conn.compute.wait_for_server(server, status="SHUTOFF", wait=120)
    assert docker("inspect", "-f", "{{.State.Running}}", container).strip() == "false"
    assert refused(outside, address)
    conn.compute.start_server(server)
    conn.compute.wait_for_server(server, status="ACTIVE", wait=120)
    assert wait_for_answer(outside, address) == ANSWER
    started = docker("inspect", "-f", "{{.State.StartedAt}}", container).strip()
    conn.compute.reboot_server(server, "SOFT")
    conn.compute.wait_for_server(server, status="ACTIVE", wait=120)
    deadline = time.monotonic() + 60
    while docker("inspect", "-f", "{{.State.StartedAt}}", container).strip() == started:
        assert time.monotonic() < deadline, "the reboot did not restart the container"
        time.sleep(1)
    assert wait_for_answer(outside, address) == ANSWER


def test_second_up_changes_nothing(lab: PulumiProject) -> None:
    lab.run("up", "--yes", "--expect-no-changes", "--stack", STACK)


def test_snapshot_of_an_operand_boots_a_vm_that_serves(
    lab: PulumiProject,
    conn: Connection,  # noqa: F811
    outside: Outside,
) -> None:
    # the snapshot is of a serving VM: cloud-init has written the operand's unit by then
    lab.run("up", "--yes", "--stack", STACK)
    assert wait_for_answer(outside, floating_ip(conn)) == ANSWER
    configure(
        lab,
        STACK,
        "vmOperations",
        snapshots={"calc-sum-snap": "sum"},
        restored={"sum-copy": "calc-sum-snap"},
        openstackCloud="cloudlab-local",
    )
    lab.run("up", "--yes", "--stack", STACK)
    image = conn.image.find_image("calc-sum-snap")
    assert image is not None and image.status == "active" and image.container_format == "docker"
    copy = conn.compute.find_server("calc-sum-copy")
    assert copy is not None
    (fixed,) = [ip for p in conn.network.ports(device_id=copy.id) for ip in p.fixed_ips]
    calculator = conn.compute.find_server("calc-calculator")
    # the copy's service (installed by cloud-init on the original, kept in the snapshot) answers
    # the calculator's VM on the operand's port, across the internal router: "5 6" -> 11
    deadline = time.monotonic() + BOOT_S
    reply = ""
    while time.monotonic() < deadline and reply != "11":
        probe = subprocess.run(
            ["docker", "exec", server_container(calculator.id), "curl", "-sS", "--max-time",
             "5", "-d", "5 6", "-X", "POST", f"http://{fixed['ip_address']}:50001"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        reply = probe.stdout.strip()  # an operand answers the bare number
        time.sleep(3)
    assert reply == "11", probe.stdout + probe.stderr
    # and the lab still answers from outside
    assert wait_for_answer(outside, floating_ip(conn)) == ANSWER


def test_destroy_leaves_no_container_namespace_ovs_port_or_floating_ip(
    lab: PulumiProject,
    conn: Connection,  # noqa: F811
) -> None:
    routers = [r.id for r in conn.network.routers(project_id=conn.current_project_id)]
    networks = [n.id for n in conn.network.networks(project_id=conn.current_project_id)]
    servers = {s.id for s in conn.compute.servers()}
    assert servers and containers_of(servers)
    lab.run("destroy", "--yes", "--stack", STACK)
    assert list(conn.compute.servers()) == []
    assert list(conn.network.ips(project_id=conn.current_project_id)) == []
    assert containers_of(servers) == []
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    deadline = time.monotonic() + 60
    while any(i in namespaces for i in routers + networks) and time.monotonic() < deadline:
        time.sleep(2)
        namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for ident in routers + networks:
        assert ident not in namespaces, namespaces
    ports = ovs.vsctl(Layout.default(), "list-ports", ovs.INTEGRATION_BRIDGE).split()
    assert not [p for p in ports if p.startswith(("tap", "qr-", "qg-"))], ports


def test_flat_lab_answers_from_outside(
    tmp_path_factory: pytest.TempPathFactory,
    conn: Connection,  # noqa: F811
    outside: Outside,
) -> None:
    project = openstack_project(tmp_path_factory.mktemp("os-dataplane-flat"))
    project.stack("flat", config_from="openstack")
    configure(project, "flat", "calculator", topology="flat", allowedCidrs=[ovs.PUBLIC_CIDR])
    servers: set[str] = set()
    try:
        project.run("up", "--yes", "--stack", "flat")
        servers = {s.id for s in conn.compute.servers()}
        assert wait_for_answer(outside, floating_ip(conn)) == ANSWER
    finally:
        project.run("destroy", "--yes", "--stack", "flat")
    assert servers and containers_of(servers) == []
