"""Each policy of the pack, as a pure function, against a compliant and a violating input."""

from __future__ import annotations

from typing import Any

import cloudlab_policy as p
import pytest
from cloudlab_policy import UNKNOWN, Config, Res, Sealed

CFG = Config()
CONTAINER = p.CLOUDLAB_CONTAINER


def container(name: str, **props: Any) -> Res:
    return Res(CONTAINER, name, {"name": name, **props})


def port(host_ip: str = "127.0.0.1", host_port: int = 50005) -> dict[str, Any]:
    return {"container_port": host_port, "host_port": host_port, "host_ip": host_ip}


# --- public exposure: published ports -----------------------------------------------------------


def test_gateway_published_on_loopback_is_fine() -> None:
    assert p.check_published_ports(container("calc-dev-calculator", ports=[port()]), CFG) == []


def test_unpublished_operand_is_fine() -> None:
    assert p.check_published_ports(container("calc-dev-sum", ports=[]), CFG) == []


def test_operand_published_is_rejected() -> None:
    found = p.check_published_ports(container("calc-dev-sum", ports=[port(host_port=50001)]), CFG)
    assert len(found) == 1
    assert "'calc-dev-sum' publishes 127.0.0.1:50001->50001" in found[0]


def test_gateway_on_every_interface_is_rejected_unless_allowed() -> None:
    res = container("calc-dev-calculator", ports=[port("0.0.0.0")])
    (found,) = p.check_published_ports(res, CFG)
    assert "0.0.0.0 is not an allowed host address" in found
    allowed = Config.from_mapping({"allowedPublishHosts": ["127.0.0.1", "0.0.0.0"]})
    assert p.check_published_ports(res, allowed) == []


def test_cloudlab_provider_default_host_is_loopback() -> None:
    res = container("calc-dev-calculator", ports=[{"container_port": 1, "host_port": 1}])
    assert p.check_published_ports(res, CFG) == []


def test_official_docker_provider_defaults_to_every_interface() -> None:
    res = Res(p.DOCKER_CONTAINER, "c", {"name": "lab-sum", "ports": [{"internal": 22}]})
    found = p.check_published_ports(res, CFG)
    assert len(found) == 2
    assert "0.0.0.0:<random>->22" in found[0]


def test_engine_numbers_are_printed_as_ports() -> None:
    res = container("x-sum", ports=[{"container_port": 50001.0, "host_port": 50001.0}])
    assert "127.0.0.1:50001->50001" in p.check_published_ports(res, CFG)[0]


# --- public exposure: floating IPs --------------------------------------------------------------

FIP_ASSOC = "openstack:networking/floatingIpAssociate:FloatingIpAssociate"


def openstack_vm(vm: str) -> list[Res]:
    port_res = Res("openstack:networking/port:Port", f"{vm}-port", {"name": vm}, urn=f"urn:{vm}")
    assoc = Res(
        FIP_ASSOC,
        f"{vm}-fip-assoc",
        {"portId": UNKNOWN, "floatingIp": UNKNOWN},
        urn=f"urn:{vm}-assoc",
        property_dependencies={"portId": [f"urn:{vm}"]},
    )
    return [port_res, assoc]


@pytest.mark.parametrize("vm", ["calc-calculator", "k8s-master", "lab-gateway"])
def test_floating_ip_on_a_gateway_is_fine(vm: str) -> None:
    assert p.check_floating_ips(openstack_vm(vm), CFG) == []


def test_floating_ip_on_an_operand_is_rejected() -> None:
    (found,) = p.check_floating_ips(openstack_vm("calc-sum"), CFG)
    assert found[0] == "urn:calc-sum-assoc"
    assert "bound to 'calc-sum' (role sum)" in found[1]


def test_floating_ip_without_a_known_port_is_judged_by_its_name() -> None:
    lone = Res(FIP_ASSOC, "calc-worker1-fip-assoc", {"portId": "abc"}, urn="u")
    assert p.check_floating_ips([lone], CFG)[0][0] == "u"
    ok = Res(FIP_ASSOC, "calc-calculator-fip-assoc", {"portId": "abc"}, urn="u")
    assert p.check_floating_ips([ok], CFG) == []


def test_unbound_floating_ip_exposes_nothing() -> None:
    fip = Res("openstack:networking/floatingIp:FloatingIp", "x-sum-fip", {"pool": "public"})
    assert p.check_floating_ips([fip], CFG) == []


# --- no world-open admin or operand ports ------------------------------------------------------


def rule(cidr: Any, low: Any, high: Any = None, protocol: str = "tcp", **extra: Any) -> Res:
    props = {
        "direction": "ingress",
        "protocol": protocol,
        "portRangeMin": low,
        "portRangeMax": high if high is not None else low,
        "remoteIpPrefix": cidr,
        **extra,
    }
    return Res(p.SEC_GROUP_RULE, "rule", props)


@pytest.mark.parametrize(
    "res",
    [
        rule("0.0.0.0/0", 50005),  # the calculator: public by design
        rule("192.168.210.0/24", 50001),  # operand from the front end
        rule("10.0.0.0/8", 22),  # SSH from an admin network
        rule(None, 6443, remoteGroupId="members-sg"),  # API from cluster members
        rule("203.0.113.7/32", 30000, 32767),  # NodePorts from one public address
        rule("0.0.0.0/0", None, protocol="icmp"),  # ping: no ports
        rule("0.0.0.0/0", 53, protocol="udp"),  # not a protected port
        rule("172.16.0.0/12", 10250),  # kubelet from a private range
        rule("198.51.0.0/16", 22),  # a campus-sized public range: a /16 at most
        rule(UNKNOWN, 22),
    ],
)
def test_compliant_rules(res: Res) -> None:
    assert p.check_security_group_rule(res, CFG) == []


@pytest.mark.parametrize(
    ("res", "opened"),
    [
        (rule("0.0.0.0/0", 22), "22 (SSH)"),
        (rule("0.0.0.0/0", 6443), "6443 (the Kubernetes API)"),
        (rule("0.0.0.0/0", 50001, 50004), "50001 (the sum service), 50002"),
        (rule("::/0", 50003), "50003 (the mul service)"),
        (
            rule("0.0.0.0/0", None, protocol=""),
            "22 (SSH), 2379-2380 (etcd), 6443",
        ),  # every protocol and port
        (rule(None, 22), "22 (SSH)"),  # no source at all means anywhere
        (rule(Sealed("0.0.0.0/0"), 22.0), "22 (SSH)"),
        # "the world" is any public range wider than a /16, not only /0
        (rule("0.0.0.0/1", 22), "22 (SSH)"),
        (rule("128.0.0.0/1", 6443), "6443 (the Kubernetes API)"),
        (rule("8.0.0.0/8", 22), "22 (SSH)"),
        (rule("198.0.0.0/15", 22), "22 (SSH)"),
        (rule("2000::/3", 22), "22 (SSH)"),
        # every protocol with ports, not only TCP
        (rule("0.0.0.0/0", 22, protocol="udp"), "22 (SSH)"),
        (rule("0.0.0.0/0", 30080, protocol="udp"), "30000-32767 (the NodePort range)"),
        (rule("0.0.0.0/0", 22, protocol="17"), "22 (SSH)"),
        (rule("0.0.0.0/0", 22, protocol="sctp"), "22 (SSH)"),
        (rule("0.0.0.0/0", None, protocol="any"), "10250 (the kubelet API)"),
        # the cluster's own ports
        (rule("0.0.0.0/0", 10250), "10250 (the kubelet API)"),
        (rule("0.0.0.0/0", 2379, 2380), "2379-2380 (etcd)"),
        (rule("0.0.0.0/0", 2380), "2379-2380 (etcd)"),
        (rule("0.0.0.0/0", 30000, 32767), "30000-32767 (the NodePort range)"),
        (rule("0.0.0.0/0", 31000), "30000-32767 (the NodePort range)"),
    ],
)
def test_world_open_rules_are_rejected(res: Res, opened: str) -> None:
    (found,) = p.check_security_group_rule(res, CFG)
    assert opened in found


def test_egress_rules_are_not_judged() -> None:
    assert p.check_security_group_rule(rule("0.0.0.0/0", 22, direction="egress"), CFG) == []


def test_legacy_compute_group_rules() -> None:
    group = Res(
        p.COMPUTE_SEC_GROUP,
        "g",
        {"rules": [{"ipProtocol": "tcp", "fromPort": 1, "toPort": 1024, "cidr": "0.0.0.0/0"}]},
    )
    assert "22 (SSH)" in p.check_security_group_rule(group, CFG)[0]


def test_protected_ports_are_configurable() -> None:
    cfg = Config.from_mapping({"protectedPorts": {"80": "http", "8000-8100": "apps"}})
    assert p.check_security_group_rule(rule("0.0.0.0/0", 22), cfg) == []
    assert p.check_security_group_rule(rule("0.0.0.0/0", 80), cfg)
    assert "8000-8100 (apps)" in p.check_security_group_rule(rule("0.0.0.0/0", 8050), cfg)[0]


@pytest.mark.parametrize(
    ("cidr", "open_"),
    [
        ("0.0.0.0/0", True), ("::/0", True), ("0.0.0.0/1", True), ("8.0.0.0/8", True),
        ("198.0.0.0/15", True), ("2001::/16", True),
        ("198.51.0.0/16", False), ("203.0.113.7/32", False), ("10.0.0.0/8", False),
        ("192.168.0.0/16", False), ("fd00::/8", False), ("2001:db8::/32", False),
        ("2a00:1450::/48", False), ("not a cidr", False),
    ],
)  # fmt: skip
def test_world_open_is_public_and_wider_than_a_slash_16(cidr: str, open_: bool) -> None:
    assert p.world_open(cidr) is open_


# --- egress, port security, admin password ------------------------------------------------------


def test_groups_must_drop_neutrons_default_egress() -> None:
    group = Res(p.NETWORK_SEC_GROUP, "calc-sum-sg", {"name": "calc-sum"})
    (found,) = p.check_egress(group, CFG)
    assert "keeps Neutron's default egress" in found
    dropped = Res(p.NETWORK_SEC_GROUP, "g", {"name": "g", "deleteDefaultRules": True})
    assert p.check_egress(dropped, CFG) == []


@pytest.mark.parametrize(
    "res",
    [
        rule("0.0.0.0/0", 443, direction="egress"),  # HTTPS to package mirrors
        rule("0.0.0.0/0", 53, protocol="udp", direction="egress"),  # DNS
        rule("192.168.18.0/24", None, protocol="", direction="egress"),  # a private network
        rule("169.254.169.254/32", 80, direction="egress"),  # the metadata service
        rule("0.0.0.0/0", 22, direction="ingress"),  # not egress: the other policy's
    ],
)
def test_named_egress_is_fine(res: Res) -> None:
    assert p.check_egress(res, CFG) == []


@pytest.mark.parametrize(
    ("res", "what"),
    [
        (rule("0.0.0.0/0", None, protocol="", direction="egress"), "every protocol"),
        (rule(None, None, protocol="any", direction="egress"), "every protocol to anywhere"),
        (rule("0.0.0.0/1", 1, 65535, direction="egress"), "every tcp port"),
        (rule("::/0", None, protocol="udp", direction="egress"), "every udp port"),
    ],
)
def test_open_egress_is_rejected(res: Res, what: str) -> None:
    (found,) = p.check_egress(res, CFG)
    assert what in found


def test_port_security_stays_on() -> None:
    port_type, net_type = p.PORT_SECURITY_TYPES
    assert p.check_port_security(Res(port_type, "x-port", {"name": "x"}), CFG) == []
    assert p.check_port_security(Res(port_type, "x", {"portSecurityEnabled": True}), CFG) == []
    (found,) = p.check_port_security(Res(port_type, "x", {"portSecurityEnabled": False}), CFG)
    assert "port 'x' disables port security" in found
    assert p.check_port_security(Res(net_type, "n", {"port_security_enabled": False}), CFG)


def test_instances_use_a_key_pair_not_admin_pass() -> None:
    vm = {"name": "m", "keyPair": "lab"}
    assert p.check_admin_pass(Res(p.COMPUTE_INSTANCE, "m", vm), CFG) == []
    for value in ("hunter2", Sealed("hunter2")):
        (found,) = p.check_admin_pass(Res(p.COMPUTE_INSTANCE, "m", {**vm, "adminPass": value}), CFG)
        assert "admin_pass" in found


# --- pod security -------------------------------------------------------------------------------

SAFE_CONTEXT = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def hardened_app(container: dict[str, Any], **pod: Any) -> Res:
    spec = {"containers": [{"name": "app", "image": "registry/app:1.0", **container}], **pod}
    return Res("kubernetes:apps/v1:Deployment", "app", {"spec": {"template": {"spec": spec}}})


def test_a_hardened_container_passes() -> None:
    assert p.check_pod_security(hardened_app({"securityContext": SAFE_CONTEXT}), CFG) == []
    pod_level = {k: v for k, v in SAFE_CONTEXT.items() if k != "runAsNonRoot"}
    res = hardened_app({"securityContext": pod_level}, securityContext={"runAsNonRoot": True})
    assert p.check_pod_security(res, CFG) == []
    digest = hardened_app({"securityContext": SAFE_CONTEXT, "image": "app@sha256:" + "a" * 64})
    assert p.check_pod_security(digest, CFG) == []


@pytest.mark.parametrize(
    ("change", "what"),
    [
        ({"runAsNonRoot": False}, "runAsNonRoot"),
        ({"allowPrivilegeEscalation": True}, "allowPrivilegeEscalation: false"),
        ({"readOnlyRootFilesystem": False}, "readOnlyRootFilesystem: true"),
        ({"privileged": True}, "is privileged"),
        ({"capabilities": {"drop": ["NET_RAW"]}}, "drop every capability"),
    ],
)
def test_each_weakened_setting_is_rejected(change: dict[str, Any], what: str) -> None:
    res = hardened_app({"securityContext": {**SAFE_CONTEXT, **change}})
    found = p.check_pod_security(res, CFG)
    assert len(found) == 1 and what in found[0], found


def test_no_security_context_fails_every_check() -> None:
    assert len(p.check_pod_security(hardened_app({}), CFG)) == 4  # privileged is off by default


@pytest.mark.parametrize("image", ["registry/app", "registry/app:latest", "localhost:5000/app"])
def test_unpinned_images_are_rejected(image: str) -> None:
    res = hardened_app({"securityContext": SAFE_CONTEXT, "image": image})
    (found,) = p.check_pod_security(res, CFG)
    assert "is not pinned" in found


def test_host_path_volumes_are_rejected() -> None:
    res = hardened_app(
        {"securityContext": SAFE_CONTEXT},
        volumes=[{"name": "root", "hostPath": {"path": "/"}}, {"name": "tmp", "emptyDir": {}}],
    )
    (found,) = p.check_pod_security(res, CFG)
    assert "hostPath volume 'root'" in found


# --- credentials are secrets -------------------------------------------------------------------

KEY_PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"
KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: a\n"


def test_secret_credentials_are_fine() -> None:
    provider = Res("pulumi:providers:kubernetes", "k8s", {"kubeconfig": Sealed(KUBECONFIG)})
    command = Res(
        "command:local:Command",
        "gate",
        {"environment": {"CLOUDLAB_CLIENT_KEY_PEM": Sealed(KEY_PEM), "CA_PEM": "cert"}},
    )
    vm = Res(
        "openstack:compute/instance:Instance", "m", {"userData": Sealed("abcdef.0123456789abcdef")}
    )
    for res in (provider, command, vm):
        assert p.check_secret_inputs(res, CFG) == [], res.name


def test_unknown_credentials_are_not_judged() -> None:
    assert (
        p.check_secret_inputs(Res("pulumi:providers:kubernetes", "k", {"kubeconfig": UNKNOWN}), CFG)
        == []
    )


@pytest.mark.parametrize(
    ("props", "what"),
    [
        ({"kubeconfig": "anything"}, "kubeconfig is a credential"),
        ({"environment": {"CLIENT_KEY_PEM": "x"}}, "CLIENT_KEY_PEM is a credential"),
        ({"userData": f"#!/bin/sh\necho '{KEY_PEM}'"}, "a PEM private key"),
        ({"userData": "kubeadm join --token abcdef.0123456789abcdef"}, "bootstrap token"),
        ({"content": KUBECONFIG}, "a kubeconfig"),
        ({"bootstrap_token": "t"}, "bootstrap_token is a credential"),
    ],
)
def test_plain_credentials_are_rejected(props: dict[str, Any], what: str) -> None:
    (found,) = p.check_secret_inputs(Res("any:index:Thing", "r", props), CFG)
    assert what in found


def test_credential_generators_must_declare_secret_outputs() -> None:
    token = Res(p.RANDOM_STRING, "k8s-token-secret", {"length": 16})
    (found,) = p.check_secret_inputs(token, CFG)
    assert "additional_secret_outputs=['result']" in found
    fixed = Res(
        p.RANDOM_STRING, "k8s-token-secret", {"length": 16}, additional_secret_outputs=("result",)
    )
    assert p.check_secret_inputs(fixed, CFG) == []
    suffix = Res(p.RANDOM_STRING, "bucket-suffix", {"length": 6})
    assert p.check_secret_inputs(suffix, CFG) == []


def test_private_keys_must_keep_their_sdk_secret_outputs() -> None:
    typ = "tls:index/privateKey:PrivateKey"
    sdk = ("privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8")
    assert p.check_secret_inputs(Res(typ, "ca", {}, additional_secret_outputs=sdk), CFG) == []
    assert p.check_secret_inputs(Res(typ, "ca", {}), CFG)


def test_kubernetes_secret_data_must_be_secret() -> None:
    assert p.check_secret_inputs(Res(p.K8S_SECRET, "s", {"stringData": {"a": "b"}}), CFG)
    assert (
        p.check_secret_inputs(Res(p.K8S_SECRET, "s", {"stringData": Sealed({"a": "b"})}), CFG) == []
    )


def test_stack_outputs() -> None:
    stack = Res(p.STACK_TYPE, "s", {"kubeconfig": Sealed(KUBECONFIG), "url": "http://x"}, urn="S")
    assert p.check_secret_outputs([stack], CFG) == []
    leaked = Res(p.STACK_TYPE, "s", {"kubeconfig": "apiVersion: v1", "url": "http://x"}, urn="S")
    assert p.check_secret_outputs([leaked], CFG) == [
        ("S", "stack output kubeconfig is a credential in plain text (make it a secret)")
    ]


def test_generated_key_outputs_must_be_secret() -> None:
    typ = "tls:index/privateKey:PrivateKey"
    assert (
        p.check_secret_outputs([Res(typ, "k", {"privateKeyPem": Sealed(KEY_PEM)}, urn="K")], CFG)
        == []
    )
    assert p.check_secret_outputs([Res(typ, "k", {"privateKeyPem": UNKNOWN}, urn="K")], CFG) == []
    assert p.check_secret_outputs([Res(typ, "k", {"privateKeyPem": KEY_PEM}, urn="K")], CFG)


# --- containers: least privilege ---------------------------------------------------------------


@pytest.mark.parametrize(
    "res",
    [
        container("calc-dev-router", cap_add=["NET_ADMIN"]),
        container("calc-dev-calculator", cap_add=["CAP_NET_ADMIN"]),
        container("calc-dev-sum", cap_add=[]),
        container("calc-dev-div"),
        Res(
            p.DOCKER_CONTAINER,
            "x",
            {"name": "lab-gateway", "capabilities": {"adds": ["NET_ADMIN"]}},
        ),
    ],
)
def test_least_privilege_containers(res: Res) -> None:
    assert p.check_container_privileges(res, CFG) == []


@pytest.mark.parametrize(
    ("res", "what"),
    [
        (container("calc-dev-sum", cap_add=["NET_ADMIN"]), "only the router and the gateway"),
        (container("calc-dev-router", cap_add=["SYS_ADMIN"]), "equivalent to privileged"),
        (container("calc-dev-calculator", cap_add=["NET_RAW"]), "only NET_ADMIN"),
        (container("calc-dev-sum", privileged=True), "is privileged"),
        (Res(p.DOCKER_CONTAINER, "x", {"name": "a", "privileged": True}), "is privileged"),
        (Res(p.DOCKER_CONTAINER, "x", {"name": "a", "networkMode": "host"}), "network_mode=host"),
        (
            Res(p.DOCKER_CONTAINER, "x", {"name": "lab-sum", "capabilities": {"adds": ["ALL"]}}),
            "equivalent to privileged",
        ),
    ],
)
def test_privileged_containers_are_rejected(res: Res, what: str) -> None:
    (found,) = p.check_container_privileges(res, CFG)
    assert what in found


# --- kubernetes workloads ----------------------------------------------------------------------

LIMITED = {"name": "app", "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}}


def deployment(pod: dict[str, Any], kind: str = "apps/v1:Deployment") -> Res:
    if kind.endswith("CronJob"):
        props = {"spec": {"jobTemplate": {"spec": {"template": {"spec": pod}}}}}
    elif kind.endswith("Pod"):
        props = {"spec": pod}
    else:
        props = {"spec": {"template": {"spec": pod}}}
    return Res(f"kubernetes:{kind}", "w", props)


@pytest.mark.parametrize(
    "kind",
    ["apps/v1:Deployment", "apps/v1:StatefulSet", "apps/v1:DaemonSet", "batch/v1:Job",
     "batch/v1:CronJob", "core/v1:Pod"],
)  # fmt: skip
def test_bounded_workloads(kind: str) -> None:
    assert p.check_kubernetes_workload(deployment({"containers": [LIMITED]}, kind), CFG) == []


@pytest.mark.parametrize("kind", ["apps/v1:Deployment", "batch/v1:CronJob", "core/v1:Pod"])
def test_unbounded_workloads_are_rejected(kind: str) -> None:
    pod = {
        "hostNetwork": True,
        "containers": [{"name": "app", "resources": {"limits": {"cpu": "1"}}}],
    }
    found = p.check_kubernetes_workload(deployment(pod, kind), CFG)
    assert len(found) == 2
    assert "sets hostNetwork: true" in found[0]
    assert "container 'app' has no memory limit" in found[1]


def test_init_containers_and_host_ports() -> None:
    pod = {
        "initContainers": [{"name": "init"}],
        "containers": [{**LIMITED, "ports": [{"containerPort": 5000, "hostPort": 80}]}],
    }
    found = p.check_kubernetes_workload(deployment(pod), CFG)
    assert any("'init' has no cpu and memory limit" in f for f in found)
    assert any("binds hostPort 80" in f for f in found)


def test_other_kubernetes_types_are_not_judged() -> None:
    service = Res("kubernetes:core/v1:Service", "s", {"spec": {"type": "NodePort"}})
    assert p.check_kubernetes_workload(service, CFG) == []


# --- the whole pack ----------------------------------------------------------------------------


def test_check_all_names_the_policies() -> None:
    bad = container("lab-dev-sum", cap_add=["NET_ADMIN"], ports=[port("0.0.0.0", 50001)])
    stack = Res(p.STACK_TYPE, "s", {"kubeconfig": KUBECONFIG}, urn="S")
    policies = sorted({found[0] for found in p.check_all([bad, stack])})
    assert policies == [
        "containers-least-privilege",
        "credentials-are-secrets-outputs",
        "public-exposure-gateway-only",
    ]


def test_every_policy_has_a_description() -> None:
    assert set(p.DESCRIPTIONS) == set(p.RESOURCE_CHECKS) | set(p.STACK_CHECKS)


# --- PaaS instances have a memory limit ---------------------------------------------------------

PAAS_LABELS = {"cloudlab.paas.app": "hello-servlet", "cloudlab.paas.role": "instance"}


def test_a_paas_instance_with_its_memory_limit_is_fine() -> None:
    res = container("hello-servlet-0", labels=PAAS_LABELS, memory=1024**3)
    assert p.check_paas_memory(res, CFG) == []


def test_a_paas_instance_without_a_memory_limit_is_rejected() -> None:
    (found,) = p.check_paas_memory(container("hello-servlet-0", labels=PAAS_LABELS), CFG)
    assert "PaaS container 'hello-servlet-0' of app 'hello-servlet'" in found
    assert "no memory limit" in found


def test_a_published_paas_container_without_a_limit_is_rejected() -> None:
    labels = {"cloudlab.paas.app": "hello-servlet", "cloudlab.paas.role": "router"}
    res = container("hello-servlet-gateway", labels=labels, ports=[port()])
    assert len(p.check_paas_memory(res, CFG)) == 1
    assert p.check_paas_memory(container("x-gateway", labels=labels), CFG) == []  # not public


def test_containers_of_other_labs_are_not_paas_instances() -> None:
    assert p.check_paas_memory(container("calc-dev-calculator", ports=[port()]), CFG) == []


def test_an_unknown_limit_waits_for_the_update() -> None:
    res = container("hello-servlet-0", labels=PAAS_LABELS, memory=UNKNOWN)
    assert p.check_paas_memory(res, CFG) == []


def test_an_app_engine_version_needs_an_instance_class() -> None:
    version = Res(p.APPENGINE_STANDARD, "appengine-version", {"runtime": "java8"})
    (found,) = p.check_paas_memory(version, CFG)
    assert "no instance_class" in found
    ok = Res(p.APPENGINE_STANDARD, "appengine-version", {"instanceClass": "B1"})
    assert p.check_paas_memory(ok, CFG) == []


def test_an_app_engine_flexible_version_needs_a_memory_size() -> None:
    flexible = Res(p.APPENGINE_FLEXIBLE, "v", {"resources": {"cpu": 1}})
    assert len(p.check_paas_memory(flexible, CFG)) == 1
    sized = Res(p.APPENGINE_FLEXIBLE, "v", {"resources": {"memoryGb": 0.5}})
    assert p.check_paas_memory(sized, CFG) == []
