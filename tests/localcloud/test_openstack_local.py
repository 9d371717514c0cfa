"""The local OpenStack itself, through openstacksdk only: the walk the labs' stacks depend on.

Everything is checked through the services' own APIs as the lab's user (``cloudlab-local``, member
of the ``cloudlab`` project): networks and a subnet with a host route, a router with an interface
and an external gateway, security groups, ports, floating IPs, servers ACTIVE on the fake driver,
resize, snapshot to an active image and a server booted from it, and every delete. The cloud is
started when missing and these tests fail (not skip) when it cannot be.
"""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Callable, Iterator

import openstack
import pytest
from openstack.connection import Connection

from localcloud.openstack import ADMIN_CLOUD_NAME, CLOUD_NAME
from localcloud.openstack.ovs import PUBLIC_CIDR

pytestmark = [pytest.mark.openstack, pytest.mark.usefixtures("local_openstack")]

WAIT_S = 180  # a server to ACTIVE takes seconds, or the configured fake boot time


@pytest.fixture(scope="module")
def conn(local_openstack: None) -> Iterator[Connection]:
    """The lab user's connection, from clouds.yaml as the stacks and the CLI use it."""
    connection = openstack.connect(cloud=CLOUD_NAME)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def admin(local_openstack: None) -> Iterator[Connection]:
    """The admin's connection: port bindings are visible to admins only."""
    connection = openstack.connect(cloud=ADMIN_CLOUD_NAME)
    yield connection
    connection.close()


@pytest.fixture
def cleanup() -> Iterator[Callable[[Callable[[], object]], None]]:
    """Register deletes, run in reverse order even when the test fails half-way."""
    undo: list[Callable[[], object]] = []
    yield undo.append
    errors = []
    for action in reversed(undo):
        try:
            action()
        except openstack.exceptions.NotFoundException:
            pass
        except Exception as err:  # keep deleting the rest, report at the end
            errors.append(err)
    assert not errors, errors


def _name(kind: str) -> str:
    return f"cloudlab-test-{kind}-{uuid.uuid4().hex[:8]}"


def test_network_walk_as_the_lab_user(conn: Connection, cleanup) -> None:
    """Network, subnet with a host route, router interface and external gateway, security group
    and rule, port, floating IP associated; then every delete leaves nothing."""
    net = conn.network
    public = net.find_network("public")
    assert public is not None and public.is_router_external

    network = net.create_network(name=_name("net"))
    cleanup(lambda: net.delete_network(network, ignore_missing=False))
    subnet = net.create_subnet(
        name=_name("subnet"),
        network_id=network.id,
        ip_version=4,
        cidr="192.168.210.0/24",
        gateway_ip="192.168.210.254",
        # .1 is the router's leg: out of the pool, or the DHCP agent's port may take it first
        allocation_pools=[{"start": "192.168.210.2", "end": "192.168.210.253"}],
        host_routes=[{"destination": "192.168.18.0/24", "nexthop": "192.168.210.1"}],
    )
    cleanup(lambda: net.delete_subnet(subnet, ignore_missing=False))
    assert net.get_subnet(subnet.id).host_routes == [
        {"destination": "192.168.18.0/24", "nexthop": "192.168.210.1"}
    ]

    router = net.create_router(
        name=_name("router"), external_gateway_info={"network_id": public.id}
    )
    cleanup(lambda: net.delete_router(router, ignore_missing=False))
    router_port = net.create_port(
        network_id=network.id, fixed_ips=[{"subnet_id": subnet.id, "ip_address": "192.168.210.1"}]
    )
    net.add_interface_to_router(router, port_id=router_port.id)
    cleanup(lambda: net.remove_interface_from_router(router, port_id=router_port.id))
    router = net.get_router(router.id)
    assert router.external_gateway_info["network_id"] == public.id
    interfaces = list(net.ports(device_id=router.id, device_owner="network:router_interface"))
    assert [p.fixed_ips[0]["ip_address"] for p in interfaces] == ["192.168.210.1"]

    group = net.create_security_group(name=_name("sg"))
    cleanup(lambda: net.delete_security_group(group, ignore_missing=False))
    rule = net.create_security_group_rule(
        security_group_id=group.id,
        direction="ingress",
        ethertype="IPv4",
        protocol="tcp",
        port_range_min=50005,
        port_range_max=50005,
        remote_ip_prefix="10.0.0.0/8",
    )
    cleanup(lambda: net.delete_security_group_rule(rule, ignore_missing=False))
    ingress = [
        r for r in net.security_group_rules(security_group_id=group.id) if r.direction == "ingress"
    ]
    assert [(r.port_range_min, r.remote_ip_prefix) for r in ingress] == [(50005, "10.0.0.0/8")]

    port = net.create_port(name=_name("port"), network_id=network.id, security_group_ids=[group.id])
    cleanup(lambda: net.delete_port(port, ignore_missing=False))
    assert port.security_group_ids == [group.id]
    assert port.is_port_security_enabled

    fip = net.create_ip(floating_network_id=public.id)
    cleanup(lambda: net.delete_ip(fip, ignore_missing=False))
    net.update_ip(fip, port_id=port.id)
    fip = net.get_ip(fip.id)
    assert fip.port_id == port.id
    assert fip.fixed_ip_address == port.fixed_ips[0]["ip_address"]
    assert ipaddress.ip_address(fip.floating_ip_address) in ipaddress.ip_network(PUBLIC_CIDR)

    # Deletes, in order, each checked through the API.
    net.update_ip(fip, port_id=None)
    assert net.get_ip(fip.id).port_id is None
    net.delete_ip(fip, ignore_missing=False)
    net.delete_port(port, ignore_missing=False)
    net.delete_security_group(group, ignore_missing=False)
    net.remove_interface_from_router(router, port_id=router_port.id)
    net.delete_router(router, ignore_missing=False)
    net.delete_network(network, ignore_missing=False)
    assert net.find_network(network.id) is None
    assert net.find_router(router.id) is None
    assert net.find_security_group(group.id) is None
    assert net.find_port(port.id) is None
    assert net.find_ip(fip.id) is None


def test_server_lifecycle_resize_snapshot(conn: Connection, admin: Connection, cleanup) -> None:
    """A server goes ACTIVE on a bound port, resizes and confirms, snapshots to an active image,
    and a second server boots from that image; deletes leave nothing."""
    net, compute, image = conn.network, conn.compute, conn.image
    network = net.create_network(name=_name("net"))
    cleanup(lambda: net.delete_network(network, ignore_missing=False))
    subnet = net.create_subnet(
        network_id=network.id, ip_version=4, cidr="192.168.18.0/24", name=_name("subnet")
    )
    cleanup(lambda: net.delete_subnet(subnet, ignore_missing=False))

    small2 = compute.find_flavor("small2", ignore_missing=False)
    small = compute.find_flavor("small", ignore_missing=False)
    ubuntu = image.find_image("ubuntu_20", ignore_missing=False)
    server = compute.create_server(
        name=_name("vm"),
        flavor_id=small2.id,
        image_id=ubuntu.id,
        networks=[{"uuid": network.id}],
        user_data="I2Nsb3VkLWNvbmZpZwo=",  # "#cloud-config\n", base64
    )
    cleanup(lambda: _delete_server(conn, server.id))
    server = compute.wait_for_server(server, status="ACTIVE", wait=WAIT_S)
    assert server.flavor.name == "small2"
    [port] = list(net.ports(device_id=server.id))
    # bound by the Open vSwitch mechanism driver; ACTIVE once the agent has wired the server's
    # veth on br-int (the driver plugs it as os-vif does)
    deadline = time.monotonic() + 60
    while port.status != "ACTIVE" and time.monotonic() < deadline:
        time.sleep(1)
        port = net.get_port(port.id)
    assert port.status == "ACTIVE"
    bound = admin.network.get_port(port.id)
    assert (bound.binding_vif_type, bound.binding_host_id) == ("ovs", "cloudlab-local")
    assert port.fixed_ips[0]["ip_address"].startswith("192.168.18.")

    compute.resize_server(server, small.id)
    server = compute.wait_for_server(server, status="VERIFY_RESIZE", wait=WAIT_S)
    compute.confirm_server_resize(server)
    server = compute.wait_for_server(server, status="ACTIVE", wait=WAIT_S)
    assert compute.get_server(server.id).flavor.name == "small"

    snapshot = compute.create_server_image(server, name=_name("snap"), wait=True, timeout=WAIT_S)
    cleanup(lambda: image.delete_image(snapshot.id, ignore_missing=False))
    snapshot = image.get_image(snapshot.id)
    assert snapshot.status == "active"
    assert snapshot.size and snapshot.size > 0

    clone = compute.create_server(
        name=_name("vm-from-snap"),
        flavor_id=small.id,
        image_id=snapshot.id,
        networks=[{"uuid": network.id}],
    )
    cleanup(lambda: _delete_server(conn, clone.id))
    clone = compute.wait_for_server(clone, status="ACTIVE", wait=WAIT_S)
    assert clone.image.id == snapshot.id

    for vm in (clone, server):
        _delete_server(conn, vm.id)
        assert compute.find_server(vm.id) is None
    image.delete_image(snapshot.id, ignore_missing=False)
    assert image.find_image(snapshot.id) is None
    assert list(net.ports(network_id=network.id, device_owner="compute:nova")) == []


def _delete_server(conn: Connection, server_id: str) -> None:
    server = conn.compute.find_server(server_id)
    if server is not None:
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=WAIT_S)


def test_malformed_requests_get_400_and_the_services_keep_serving(conn: Connection) -> None:
    """Neutron and Nova validate their input (no mock would): 400, and the next call works."""
    bad_network = conn.network.post("/networks", json={"network": {"admin_state_up": "maybe"}})
    assert bad_network.status_code == 400, bad_network.text
    bad_server = conn.compute.post("/servers", json={"server": {"name": "no-flavor"}})
    assert bad_server.status_code == 400, bad_server.text
    bad_rule = conn.network.post(
        "/security-group-rules",
        json={"security_group_rule": {"direction": "sideways", "security_group_id": "x"}},
    )
    assert bad_rule.status_code == 400, bad_rule.text
    assert conn.network.find_network("public") is not None
    assert conn.compute.find_flavor("small2") is not None


def test_admin_entry_sees_the_lab_quotas(admin: Connection) -> None:
    """The admin entry of clouds.yaml works and the lab project's quotas fit the labs."""
    project = admin.identity.find_project("cloudlab", ignore_missing=False)
    compute_quota = admin.compute.get_quota_set(project.id)
    network_quota = admin.network.get_quota(project.id)
    assert compute_quota.instances >= 10 and compute_quota.cores >= 10
    assert network_quota.floating_ips >= 2 and network_quota.routers >= 2


def test_a_just_started_neutron_checks_concurrent_requests_against_its_policy(
    admin: Connection,
) -> None:
    """The first requests a fresh Neutron API serves, all at once (a class's quotas, one per
    group, in parallel) are each checked against the real policy: none is refused because its
    thread found the enforcer built but its rules not yet registered (see the services' WSGI
    entry points)."""
    from concurrent.futures import ThreadPoolExecutor

    from localcloud.openstack import lifecycle, procs
    from localcloud.openstack.layout import Layout
    from localcloud.openstack.services import processes
    from tests.processes import keep_running

    layout = Layout.default()
    lifecycle.restart(["neutron"], layout)
    pid = procs.running_pid(layout, processes(layout)["neutron"])
    assert pid is not None
    # The cloud's own process now: its ``down`` stops it (the session's, or the user's later).
    keep_running(pid, "the local cloud's Neutron API, restarted by a test")
    projects = [uuid.uuid4().hex for _ in range(8)]

    def put(project: str) -> int:
        return admin.network.put(
            f"/quotas/{project}", json={"quota": {"floatingip": 2, "network": 2}}
        ).status_code

    try:
        with ThreadPoolExecutor(len(projects)) as pool:
            codes = list(pool.map(put, projects))
    finally:
        for project in projects:
            admin.network.delete_quota(project)
    assert codes == [200] * len(projects)


def test_an_idle_keep_alive_connection_is_left_to_the_client_to_close() -> None:
    """Every API keeps an idle connection open longer than its clients' requests are apart
    under load: a server that closes it first races the client's next request on it
    ("connection reset by peer", which a POST does not retry)."""
    import http.client

    from localcloud.openstack.layout import HOST, Layout
    from localcloud.openstack.services import APIS, processes

    table = processes(Layout.default())
    connections = {}
    for name in APIS:
        connection = http.client.HTTPConnection(HOST, table[name].port, timeout=30)
        connection.request("GET", "/")
        connection.getresponse().read()
        connections[name] = connection
    time.sleep(5)  # gunicorn's own default closes after 2 s
    answered = {}
    for name, connection in connections.items():
        try:
            connection.request("GET", "/")
            answered[name] = connection.getresponse().status < 500
        except (http.client.RemoteDisconnected, ConnectionError) as error:
            answered[name] = repr(error)
        finally:
            connection.close()
    assert answered == {name: True for name in APIS}


def test_every_process_of_the_cloud_listens_on_loopback_only() -> None:
    """What `up` refuses, checked on the running cloud: no socket of ours beyond 127.0.0.1, and
    epmd on the cloud's own port, not the system's 4369."""
    from localcloud.openstack import procs
    from localcloud.openstack.layout import PORTS, Layout
    from localcloud.openstack.services import processes

    layout = Layout.default()
    found = {}
    for name, proc in processes(layout).items():
        pid = procs.running_pid(layout, proc)
        assert pid is not None, f"{name} is not running"
        found[name] = procs.listeners(procs.group_pids(pid))
    wide = {name: [s for s in socks if not s.loopback] for name, socks in found.items()}
    assert {name: socks for name, socks in wide.items() if socks} == {}
    # epmd binds its port on each loopback address (127.0.0.1 and ::1): ours, never 4369.
    assert {s.port for s in found["epmd"]} == {PORTS["epmd"]} != {4369}
    assert all(found[name] for name in ("mariadb", "rabbitmq", "keystone", "neutron", "nova-api"))
