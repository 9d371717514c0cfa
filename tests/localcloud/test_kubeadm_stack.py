"""The kubernetes stack (the kubeadm lab) for real against the local OpenStack.

``pulumi up`` of ``Pulumi.kubernetes-local.yaml`` with the bridged plugins (openstack, random,
tls), then every fact checked through openstacksdk, never through Pulumi's view: three servers
ACTIVE on the cluster's network with their fixed addresses, the one floating IP on the master,
the router to ``public``, the security groups' rules exactly as configured (the API port only
from ``apiAllowedCidrs``, NodePorts and SSH closed), the user data each server got (the workers
pin the CA that the state holds). Then the secrets in the exported state (the join token, the
CA key, the admin key, the user data, the kubeconfig) are ciphertext, and ``destroy`` leaves
nothing the stack created.

The local cloud's compute driver boots nothing, so the stack file says ``readiness: none``: no
readiness gate (no API server will ever answer), no Kubernetes provider, no workload. What the
servers would do with their user data is docs/kubeadm-local.md's subject.

The tests share one deployment and run in file order (up, checks, destroy). Needs
``make toolchain`` (the engine and the plugins) and the local cloud (started by the session
fixture when it is down); without them they fail.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import openstack
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from openstack.connection import Connection

from localcloud.openstack import ADMIN_CLOUD_NAME, CLOUD_NAME
from localcloud.openstack.clouds import clouds_file
from tests.engine.pulumi_project import REPO, PulumiProject, make_project
from tests.localcloud.project import project_counts

pytestmark = [pytest.mark.engine, pytest.mark.openstack, pytest.mark.usefixtures("local_openstack")]

STACK = "kubernetes-local"
PREFIX = "k8s-"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
NODES = {"master": "192.168.60.10", "worker1": "192.168.60.11", "worker2": "192.168.60.12"}
MEMBERS = "members"


def stack_file() -> dict[str, Any]:
    return yaml.safe_load((REPO / f"Pulumi.{STACK}.yaml").read_text())["config"]


@pytest.fixture(scope="module")
def conn() -> Iterator[Connection]:
    """openstacksdk as the lab's user. The project must hold no kubeadm lab already."""
    connection = openstack.connect(cloud=CLOUD_NAME)
    project = connection.current_project_id
    there = [s.name for s in connection.compute.servers() if s.name.startswith(PREFIX)] + [
        g.name
        for g in connection.network.security_groups(project_id=project)
        if g.name.startswith(PREFIX)
    ]
    if there:
        connection.close()
        pytest.fail(
            f"the local cloud's project already holds a kubeadm lab ({', '.join(there)}): "
            f"destroy that stack (or `make openstack-down` and remove its state) first"
        )
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def admin() -> Iterator[Connection]:
    """openstacksdk as the cloud's admin: the servers' user data."""
    connection = openstack.connect(cloud=ADMIN_CLOUD_NAME)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory, conn: Connection
) -> Iterator[tuple[PulumiProject, dict[str, int]]]:
    before = project_counts(conn)
    project = make_project(
        tmp_path_factory.mktemp("kubeadm"), plugins=("openstack", "random", "tls")
    )
    project.env["OS_CLOUD"] = CLOUD_NAME
    # The provider (gophercloud) reads ~/.config/openstack/clouds.yaml, not $XDG_CONFIG_HOME's,
    # where the local cloud writes it when that is set: name the file.
    project.env["OS_CLIENT_CONFIG_FILE"] = str(clouds_file())
    project.stack(STACK, config_from=STACK)
    try:
        yield project, before
    finally:
        project.run("destroy", "--yes", "--stack", STACK, check=False)


def servers(conn: Connection) -> dict[str, Any]:
    return {s.name: s for s in conn.compute.servers() if s.name.startswith(PREFIX)}


def group(conn: Connection, name: str) -> Any:
    found = [
        g
        for g in conn.network.security_groups(project_id=conn.current_project_id)
        if g.name == name
    ]
    assert len(found) == 1, f"expected one security group {name!r}, found {len(found)}"
    return found[0]


def ingress(conn: Connection, name: str) -> set[tuple[str, int | None, int | None, str]]:
    """A group's ingress rules as (protocol, ports, source): a CIDR or ``members``."""
    members = group(conn, f"{PREFIX}members").id
    found = set()
    for r in conn.network.security_group_rules(security_group_id=group(conn, name).id):
        if r.direction != "ingress":
            continue
        source = r.remote_ip_prefix
        if r.remote_group_id is not None:
            assert r.remote_group_id == members, f"{name}: a rule trusts another group"
            source = MEMBERS
        found.add((r.protocol, r.port_range_min, r.port_range_max, source))
    return found


def exported(project: PulumiProject, *flags: str) -> dict[str, Any]:
    return json.loads(project.run("stack", "export", "--stack", STACK, *flags).stdout)


def resources_of(state: dict[str, Any], typ: str) -> list[dict[str, Any]]:
    return [r for r in state["deployment"]["resources"] if r["type"] == typ]


def revealed(value: Any) -> Any:
    """A value of ``stack export --show-secrets``: a secret comes as its plaintext (JSON)."""
    if isinstance(value, dict) and value.get(SECRET_SIG) and "plaintext" in value:
        return json.loads(value["plaintext"])
    return value


def is_ciphertext(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) and "ciphertext" in value


def spki_pin(cert_pem: str) -> str:
    """kubeadm's ``--discovery-token-ca-cert-hash``: sha256 of the CA's SubjectPublicKeyInfo."""
    key = x509.load_pem_x509_certificate(cert_pem.encode()).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


# --- up ---------------------------------------------------------------------------------------


def test_the_stack_file_says_nothing_boots_here() -> None:
    cluster = stack_file()["cloudlab:kubernetes"]
    assert cluster["readiness"] == "none"
    assert "cloudlab:workload" not in stack_file()


def test_up_creates_the_cluster(lab: tuple[PulumiProject, dict[str, int]]) -> None:
    project, _ = lab
    project.run("up", "--yes", "--stack", STACK)
    assert project.output("apiEndpoint", STACK).endswith(":6443")


# --- what OpenStack holds ---------------------------------------------------------------------


def test_three_servers_active_on_the_cluster_network(
    lab: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    found = servers(conn)
    assert sorted(found) == sorted(f"{PREFIX}{n}" for n in NODES)
    network = conn.network.find_network(f"{PREFIX}private")
    subnet = conn.network.find_subnet(f"{PREFIX}private-subnet")
    assert subnet.cidr == stack_file()["cloudlab:kubernetes"]["networkCidr"]
    for node, address in NODES.items():
        server = conn.compute.get_server(found[f"{PREFIX}{node}"].id)
        assert server.status == "ACTIVE", f"{node}: {server.status}"
        assert server.flavor["original_name"] == "medium"
        ports = list(conn.network.ports(device_id=server.id))
        assert [p.network_id for p in ports] == [network.id], f"{node}: one port, that network"
        assert [ip["ip_address"] for ip in ports[0].fixed_ips] == [address]


def test_one_floating_ip_on_the_master_and_a_router_to_public(
    lab: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    project, _ = lab
    (fip,) = list(conn.network.ips(project_id=conn.current_project_id))
    master = servers(conn)[f"{PREFIX}master"]
    assert conn.network.get_port(fip.port_id).device_id == master.id
    assert fip.floating_ip_address == project.output("masterPublicIp", STACK)
    public = conn.network.find_network("public")
    router = conn.network.find_router(f"{PREFIX}edge")
    assert router.external_gateway_info["network_id"] == public.id


def test_security_groups_exactly_as_configured(
    lab: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    """The API port only from apiAllowedCidrs (and the members), everything else from the
    members only: no NodePort, no SSH from anywhere (both lists are empty)."""
    (api_cidr,) = stack_file()["cloudlab:kubernetes"]["apiAllowedCidrs"]
    node = {
        ("tcp", 10250, 10250, MEMBERS),  # kubelet API
        ("icmp", None, None, MEMBERS),
        ("tcp", 5473, 5473, MEMBERS),  # Calico Typha
        ("tcp", 179, 179, MEMBERS),  # Calico BGP (IPIP, the default encapsulation)
        ("4", None, None, MEMBERS),  # IP-in-IP
    }
    master = node | {
        ("tcp", 6443, 6443, MEMBERS),
        ("tcp", 2379, 2380, MEMBERS),  # etcd
        ("tcp", 6443, 6443, api_cidr),
    }
    assert ingress(conn, f"{PREFIX}master") == master
    assert ingress(conn, f"{PREFIX}worker") == node
    assert ingress(conn, f"{PREFIX}members") == set()
    outside = {
        rule for name in ("master", "worker") for rule in ingress(conn, f"{PREFIX}{name}")
    } - {r for r in master if r[3] == MEMBERS}
    assert outside == {("tcp", 6443, 6443, api_cidr)}


def test_each_server_carries_the_members_group_and_its_role_group(
    lab: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    ids = {g.id: g.name for g in conn.network.security_groups(project_id=conn.current_project_id)}
    for name, server in servers(conn).items():
        role = "master" if name.endswith("master") else "worker"
        (port,) = list(conn.network.ports(device_id=server.id))
        groups = {ids[g] for g in port.security_group_ids}
        assert groups == {f"{PREFIX}members", f"{PREFIX}{role}"}, name


def test_the_workers_pin_the_ca_of_the_state(
    lab: tuple[PulumiProject, dict[str, int]], admin: Connection
) -> None:
    """What each server got: the master the CA key and ``kubeadm init``; the workers the CA's
    pin (the CA in the state), never its key."""
    project, _ = lab
    state = exported(project, "--show-secrets")
    (ca,) = resources_of(state, "tls:index/selfSignedCert:SelfSignedCert")
    pin = spki_pin(revealed(ca["outputs"]["certPem"]))
    found = {s.name: s for s in admin.compute.servers(all_projects=True)}
    for node in NODES:
        # user data is an admin-only attribute of a server
        server = admin.compute.get_server(found[f"{PREFIX}{node}"].id)
        text = base64.b64decode(server.user_data).decode()
        assert text.startswith("#cloud-config\n"), node
        if node == "master":
            assert "BEGIN RSA PRIVATE KEY" in text
            assert "kubeadm init" in text
        else:
            assert "PRIVATE KEY" not in text and "kubeadm init" not in text
            assert pin in text, f"{node} does not pin the CA of the state"


# --- secrets in the state ---------------------------------------------------------------------


def test_token_and_keys_are_ciphertext_in_the_state(
    lab: tuple[PulumiProject, dict[str, int]],
) -> None:
    """The export without --show-secrets holds the join token's halves, the CA key, the admin
    key, every server's user data and the kubeconfig only as ciphertext: none of their plain
    values appears anywhere in it."""
    project, _ = lab
    plain, sealed = exported(project, "--show-secrets"), exported(project)
    sealed_text = json.dumps(sealed)
    halves = resources_of(plain, "random:index/randomPassword:RandomPassword")
    assert len(halves) == 2
    keys = resources_of(plain, "tls:index/privateKey:PrivateKey")
    assert len(keys) == 2
    vms = resources_of(plain, "openstack:compute/instance:Instance")
    assert len(vms) == 3
    token_id, token_secret = sorted((revealed(h["outputs"]["result"]) for h in halves), key=len)
    assert (len(token_id), len(token_secret)) == (6, 16)
    token = f"{token_id}.{token_secret}"
    user_data = [revealed(vm["inputs"]["userData"]) for vm in vms]
    assert all(token in text for text in user_data), "every node's user data holds the token"
    secrets = [token_id, token_secret, token]
    secrets += [revealed(k["outputs"]["privateKeyPem"]) for k in keys]
    secrets += user_data
    for value in secrets:
        assert isinstance(value, str) and len(value) >= 6
        assert value not in sealed_text, f"a secret in plain text: {value[:12]}..."
        # JSON escapes a PEM's newlines: look for its body too
        assert json.dumps(value)[1:-1] not in sealed_text
    by_urn = {r["urn"]: r for r in sealed["deployment"]["resources"]}
    for r in halves:
        assert is_ciphertext(by_urn[r["urn"]]["outputs"]["result"])
    for r in keys:
        assert is_ciphertext(by_urn[r["urn"]]["outputs"]["privateKeyPem"])
    for r in vms:
        assert is_ciphertext(by_urn[r["urn"]]["inputs"]["userData"])
    (stack,) = resources_of(sealed, "pulumi:pulumi:Stack")
    assert is_ciphertext(stack["outputs"]["kubeconfig"])


# --- destroy ----------------------------------------------------------------------------------


def test_destroy_leaves_nothing(
    lab: tuple[PulumiProject, dict[str, int]], conn: Connection
) -> None:
    project, before = lab
    project.run("destroy", "--yes", "--stack", STACK)
    assert servers(conn) == {}
    assert project_counts(conn) == before
