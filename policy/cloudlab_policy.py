"""cloudlab's guardrails as pure functions over (type, name, props): no Pulumi, no I/O.

``__main__.py`` (the pulumi-policy pack) turns what the engine sends into :class:`Res` values
and reports what these functions return; tests call them directly.

Values: ``props`` are plain JSON-like data where a secret is wrapped in :class:`Sealed` and a
value not known yet (preview) is :data:`UNKNOWN`. Property names are accepted in both the
camelCase the engine uses for provider resources (``remoteIpPrefix``) and the snake_case of
cloudlab's dynamic providers (``cap_add``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# "Open to the world" is one rule for the pack and the config models (which refuse such
# settings before anything is registered): it lives with the project's components.
_PROJECT = str(Path(__file__).resolve().parents[1])
if _PROJECT not in sys.path:
    sys.path.append(_PROJECT)
from components.netrules import world_open  # noqa: E402

# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Sealed:
    """A secret value (Pulumi marks it; the state keeps it encrypted)."""

    value: Any


class _Unknown:
    """A value only known after the resource exists (during preview)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


def reveal(value: Any) -> Any:
    """``value`` without its secret wrapper(s)."""
    while isinstance(value, Sealed):
        value = value.value
    return value


def known(value: Any) -> bool:
    return reveal(value) is not UNKNOWN


@dataclass(frozen=True)
class Res:
    """One resource as a policy sees it."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    additional_secret_outputs: tuple[str, ...] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Property name -> URNs of the resources its value comes from (stack policies only)."""


@dataclass(frozen=True)
class Config:
    """The pack's knobs (``pulumi preview --policy-pack-config``); defaults are the labs'."""

    gateway_roles: tuple[str, ...] = ("calculator", "gateway", "master")
    """Last name segment of the resources meant to be public (floating IP, published port)."""
    router_roles: tuple[str, ...] = ("router",)
    """Last name segment of the containers that route (may get NET_ADMIN with the gateway)."""
    allowed_publish_hosts: tuple[str, ...] = ("127.0.0.1",)
    """Host addresses a Docker port may be published on."""
    protected_ports: Mapping[tuple[int, int], str] = field(
        default_factory=lambda: dict(DEFAULT_PROTECTED_PORTS)
    )
    """Port ranges (first, last) never opened to the whole internet, with what they serve."""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> Config:
        """From the policy config (keys ``gatewayRoles``, ``routerRoles``,
        ``allowedPublishHosts``, ``protectedPorts`` {"22": "SSH", "2379-2380": "etcd", ...})."""
        raw = raw or {}
        d = cls()
        ports = raw.get("protectedPorts")
        return cls(
            gateway_roles=tuple(raw.get("gatewayRoles") or d.gateway_roles),
            router_roles=tuple(raw.get("routerRoles") or d.router_roles),
            allowed_publish_hosts=tuple(raw.get("allowedPublishHosts") or d.allowed_publish_hosts),
            protected_ports=(
                {_parse_range(k): str(v) for k, v in ports.items()} if ports else d.protected_ports
            ),
        )


DEFAULT_PROTECTED_PORTS: dict[tuple[int, int], str] = {
    (22, 22): "SSH",
    (2379, 2380): "etcd",
    (6443, 6443): "the Kubernetes API",
    (10250, 10250): "the kubelet API",
    (10257, 10259): "the controller-manager and scheduler",
    (30000, 32767): "the NodePort range",
    (50001, 50001): "the sum service",
    (50002, 50002): "the sub service",
    (50003, 50003): "the mul service",
    (50004, 50004): "the div service",
}
"""What the labs run that nobody on the internet may reach (Checkov CKV_OPENSTACK_2/3 check
22 and 3389 only; the labs' own admin ports are added here)."""


def _parse_range(key: Any) -> tuple[int, int]:
    """``"22"`` or ``"30000-32767"`` -> (first, last)."""
    low, _, high = str(key).partition("-")
    return int(low), int(high or low)


# --------------------------------------------------------------------------- helpers

CLOUDLAB_CONTAINER = "pulumi-python:dynamic/cloudlab/docker:Container"
DOCKER_CONTAINER = "docker:index/container:Container"
CONTAINER_TYPES = (CLOUDLAB_CONTAINER, DOCKER_CONTAINER)
SEC_GROUP_RULE = "openstack:networking/secGroupRule:SecGroupRule"
COMPUTE_SEC_GROUP = "openstack:compute/secGroup:SecGroup"
FLOATING_IP_ASSOCIATIONS = {
    "openstack:networking/floatingIpAssociate:FloatingIpAssociate": "portId",
    "openstack:compute/floatingIpAssociate:FloatingIpAssociate": "instanceId",
    "openstack:networking/floatingIp:FloatingIp": "portId",
}
STACK_TYPE = "pulumi:pulumi:Stack"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def prop(props: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """``props[name]`` under its snake_case or camelCase spelling (secrets kept sealed)."""
    for key in (name, _camel(name)):
        if key in props and props[key] is not None:
            return props[key]
    return default


def _num(value: Any) -> str:
    """A port as text (the engine sends numbers as floats: 50005.0 -> 50005)."""
    value = reveal(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "<unknown>" if value is UNKNOWN else str(value)


def _text(value: Any) -> str:
    value = reveal(value)
    return value if isinstance(value, str) else ""


def role_of(name: str, suffixes: Iterable[str] = ()) -> str:
    """Last dash-separated segment of ``name`` once a known ``suffixes`` is stripped."""
    name = name.strip().lower()
    for suffix in suffixes:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.rsplit("-", 1)[-1]


def _is_world(prefix: Any) -> bool:
    """Whether a source CIDR is open to the world (:func:`world_open`)."""
    value = _text(prefix).strip()
    return bool(value) and world_open(value)


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any, bool]]:
    """(path, leaf, under_a_secret) for every leaf of ``value``."""

    def go(v: Any, p: str, sealed: bool) -> Iterator[tuple[str, Any, bool]]:
        if isinstance(v, Sealed):
            yield from go(v.value, p, True)
        elif isinstance(v, Mapping):
            for k, item in v.items():
                yield from go(item, f"{p}.{k}" if p else str(k), sealed)
        elif isinstance(v, list | tuple):
            for i, item in enumerate(v):
                yield from go(item, f"{p}[{i}]", sealed)
        else:
            yield p, v, sealed

    yield from go(value, path, False)


# --------------------------------------------------------------------------- policy 1
# Only resources meant to be public get a floating IP or a published port.

PUBLIC_EXPOSURE = "public-exposure-gateway-only"


def _port_bindings(res: Res) -> list[tuple[str, str]]:
    """(host_ip, description) of each published port of a container."""
    out: list[tuple[str, str]] = []
    for p in reveal(prop(res.props, "ports", [])) or []:
        p = reveal(p)
        if not isinstance(p, Mapping):
            continue
        if res.type == CLOUDLAB_CONTAINER:
            # cloudlab's provider publishes on 127.0.0.1 when host_ip is empty.
            host = _text(prop(p, "host_ip")) or "127.0.0.1"
            host_port, container_port = prop(p, "host_port"), prop(p, "container_port")
        else:
            # the official provider's default ``ip`` is 0.0.0.0.
            host = _text(prop(p, "ip")) or "0.0.0.0"
            host_port, container_port = prop(p, "external"), prop(p, "internal")
            if not known(host_port) or host_port is None:
                host_port = "<random>"
        out.append((host, f"{host}:{_num(host_port)}->{_num(container_port)}"))
    return out


def check_published_ports(res: Res, cfg: Config) -> list[str]:
    """Docker containers: only the gateway publishes ports, and only on allowed host addresses."""
    if res.type not in CONTAINER_TYPES:
        return []
    name = _text(prop(res.props, "name")) or res.name
    bindings = _port_bindings(res)
    if not bindings:
        return []
    problems: list[str] = []
    role = role_of(name)
    if role not in cfg.gateway_roles:
        published = ", ".join(d for _, d in bindings)
        problems.append(
            f"container {name!r} publishes {published} but only a gateway "
            f"({'/'.join(cfg.gateway_roles)}) may be published"
        )
    for host, desc in bindings:
        if host not in cfg.allowed_publish_hosts:
            problems.append(
                f"container {name!r} publishes {desc}: {host} is not an allowed host address "
                f"({', '.join(cfg.allowed_publish_hosts)}; policy config allowedPublishHosts)"
            )
    return problems


def check_floating_ips(resources: Sequence[Res], cfg: Config) -> list[tuple[str, str]]:
    """OpenStack: a floating IP is bound only to the port (or instance) of a gateway VM.

    The target is found through the association's property dependency on the port; when the
    port is not in the stack (an id given as config) the association's own name decides.
    """
    by_urn = {r.urn: r for r in resources if r.urn}
    problems: list[tuple[str, str]] = []
    for res in resources:
        key = FLOATING_IP_ASSOCIATIONS.get(res.type)
        if key is None:
            continue
        if res.type.endswith("floatingIp:FloatingIp") and not prop(res.props, "port_id"):
            continue  # an unbound floating IP exposes nothing
        targets = [by_urn[u] for u in res.property_dependencies.get(key, ()) if u in by_urn]
        if targets:
            names = [
                _text(prop(t.props, "name")) or role_of(t.name, ("-port", "-vm")) for t in targets
            ]
            roles = {role_of(n, ("-port", "-vm")) for n in names}
            what = f"{' '.join(repr(n) for n in names)}"
        else:
            roles = {role_of(res.name, ("-fip-assoc", "-assoc", "-fip"))}
            what = f"{res.name!r}"
        bad = sorted(roles - set(cfg.gateway_roles))
        if bad:
            problems.append(
                (
                    res.urn,
                    f"floating IP {res.name!r} is bound to {what} (role {', '.join(bad)}); only "
                    f"a gateway ({'/'.join(cfg.gateway_roles)}) may hold a floating IP",
                )
            )
    return problems


# --------------------------------------------------------------------------- policy 2
# No security-group rule opens an operand port, SSH or the Kubernetes API to the world.

WORLD_OPEN = "no-world-open-admin-ports"


def _port_range(low: Any, high: Any) -> tuple[int, int] | None:
    """The rule's port range; ``None`` when unknown. 0/absent means every port."""
    low, high = reveal(low), reveal(high)
    if low is UNKNOWN or high is UNKNOWN:
        return None
    lo = int(low) if low not in (None, "", 0) else 1
    hi = int(high) if high not in (None, "", 0) else (lo if low not in (None, "", 0) else 65535)
    return lo, hi


ALL_PROTOCOLS = ("", "any", "all", "-1", "0")
PORT_PROTOCOLS = ("tcp", "6", "udp", "17", "sctp", "132", "dccp", "33", "udplite", "136")
"""Protocols with ports; a protected range is open over any of them (a NodePort may be UDP,
and a port number closed over TCP but open over UDP still reaches the host)."""


def _opened(protocol: Any, low: Any, high: Any, cfg: Config) -> list[str]:
    proto = str(_num(protocol) if reveal(protocol) is not None else "").lower()
    if proto in ALL_PROTOCOLS:
        span: tuple[int, int] | None = (1, 65535)  # every protocol, every port
    elif proto in PORT_PROTOCOLS:
        span = _port_range(low, high)
    else:
        return []  # icmp and the like: no ports
    if span is None:
        return []
    return [
        (f"{first}" if first == last else f"{first}-{last}") + f" ({what})"
        for (first, last), what in sorted(cfg.protected_ports.items())
        if span[0] <= last and first <= span[1]
    ]


def check_security_group_rule(res: Res, cfg: Config) -> list[str]:
    """OpenStack ingress rules: no protected port open to the world (:func:`world_open`: a
    public source wider than a /16, so 0.0.0.0/1 as well as 0.0.0.0/0, or no source at all),
    over any protocol that has ports, or over every protocol."""
    p = res.props
    if res.type == SEC_GROUP_RULE:
        if _text(prop(p, "direction")).lower() not in ("", "ingress"):
            return []
        source, group = prop(p, "remote_ip_prefix"), prop(p, "remote_group_id")
        if not known(source):
            return []
        world = _is_world(source) or (not _text(source) and not group)
        if not world:
            return []
        opened = _opened(
            prop(p, "protocol"), prop(p, "port_range_min"), prop(p, "port_range_max"), cfg
        )
        src = _text(source) or "anywhere (no remote_ip_prefix nor remote_group_id)"
        return [f"rule {res.name!r} opens {', '.join(opened)} to {src}"] if opened else []
    if res.type == COMPUTE_SEC_GROUP:
        problems = []
        for i, rule in enumerate(reveal(prop(p, "rules", [])) or []):
            rule = reveal(rule)
            if not isinstance(rule, Mapping) or not _is_world(prop(rule, "cidr")):
                continue
            opened = _opened(
                prop(rule, "ip_protocol"), prop(rule, "from_port"), prop(rule, "to_port"), cfg
            )
            if opened:
                problems.append(
                    f"group {res.name!r} rule {i} opens {', '.join(opened)} to "
                    f"{_text(prop(rule, 'cidr'))}"
                )
        return problems
    return []


# --------------------------------------------------------------------------- policy 2b
# Egress is what a lab needs, not Neutron's allow-all default; ports keep their security.

EGRESS = "egress-restricted"
NETWORK_SEC_GROUP = "openstack:networking/secGroup:SecGroup"


def check_egress(res: Res, cfg: Config) -> list[str]:
    """OpenStack security groups drop Neutron's default egress rules (allow everything to
    0.0.0.0/0 and ::/0: ``deleteDefaultRules``), and no egress rule opens every port or every
    protocol to the world (name the ports a lab needs: HTTPS 443, DNS 53...)."""
    del cfg
    p = res.props
    if res.type == NETWORK_SEC_GROUP:
        flag = reveal(prop(p, "delete_default_rules"))
        if flag is not True and flag is not UNKNOWN:
            return [
                f"security group {res.name!r} keeps Neutron's default egress (everything to "
                "0.0.0.0/0 and ::/0): set delete_default_rules and list the egress it needs"
            ]
        return []
    if res.type != SEC_GROUP_RULE or _text(prop(p, "direction")).lower() != "egress":
        return []
    target, group = prop(p, "remote_ip_prefix"), prop(p, "remote_group_id")
    if not known(target):
        return []
    if not (_is_world(target) or (not _text(target) and not group)):
        return []
    proto = str(_num(prop(p, "protocol")) if reveal(prop(p, "protocol")) is not None else "")
    span = _port_range(prop(p, "port_range_min"), prop(p, "port_range_max"))
    where = _text(target) or "anywhere"
    if proto.lower() in ALL_PROTOCOLS:
        return [f"egress rule {res.name!r} allows every protocol to {where}"]
    if proto.lower() in PORT_PROTOCOLS and span == (1, 65535):
        return [f"egress rule {res.name!r} allows every {proto} port to {where}"]
    return []


PORT_SECURITY = "port-security-enabled"
PORT_SECURITY_TYPES = ("openstack:networking/port:Port", "openstack:networking/network:Network")


def check_port_security(res: Res, cfg: Config) -> list[str]:
    """OpenStack ports and networks keep port security (security groups, anti-spoofing):
    ``port_security_enabled: false`` lets a VM send as any address and bypasses every group."""
    del cfg
    if (
        res.type in PORT_SECURITY_TYPES
        and reveal(prop(res.props, "port_security_enabled")) is False
    ):
        kind = res.type.rsplit(":", 1)[-1].lower()
        return [f"{kind} {res.name!r} disables port security (security groups and anti-spoofing)"]
    return []


ADMIN_PASS = "no-admin-password"
COMPUTE_INSTANCE = "openstack:compute/instance:Instance"


def check_admin_pass(res: Res, cfg: Config) -> list[str]:
    """Nova instances get a key pair, never ``admin_pass`` (a password login, stored by Nova;
    Checkov CKV_OPENSTACK_4)."""
    del cfg
    if res.type != COMPUTE_INSTANCE:
        return []
    value = prop(res.props, "admin_pass")
    if value is None or reveal(value) in ("", None):
        return []
    return [f"instance {res.name!r} sets admin_pass: log in with a key pair instead"]


# --------------------------------------------------------------------------- policy 3
# Bootstrap tokens, private keys and kubeconfigs are secrets.

SECRETS = "credentials-are-secrets"

_SENSITIVE_KEY = re.compile(
    r"(kubeconfig|privatekey|privatekeypem|privatekeyopenssh|privatekeypempkcs8|keypem|token|"
    r"password|passwd|secret|joincommand)$"
)
_NOT_SENSITIVE_KEY = re.compile(r"(tokenlength|secretname|secretref|secretkeyref)$")
_PEM_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_BOOTSTRAP_TOKEN = re.compile(r"(?<![a-z0-9])[a-z0-9]{6}\.[a-z0-9]{16}(?![a-z0-9])")
_KUBECONFIG = re.compile(r"(client-key-data|kind:\s*Config[\s\S]*users:)")

SECRET_OUTPUTS: dict[str, tuple[str, ...]] = {
    "tls:index/privateKey:PrivateKey": (
        "privateKeyPem",
        "privateKeyOpenssh",
        "privateKeyPemPkcs8",
    ),
    "random:index/randomPassword:RandomPassword": ("result",),
}
"""Outputs that are credentials whatever the resource is called."""
RANDOM_STRING = "random:index/randomString:RandomString"
K8S_SECRET = "kubernetes:core/v1:Secret"
_CREDENTIAL_NAME = re.compile(r"(token|secret|password|passwd|key)", re.IGNORECASE)


def _sensitive_key(path: str) -> bool:
    last = re.split(r"[.\[]", path)[-1] if path else ""
    norm = re.sub(r"[^a-z0-9]", "", last.lower())
    return bool(_SENSITIVE_KEY.search(norm)) and not _NOT_SENSITIVE_KEY.search(norm)


def _looks_secret(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if _PEM_KEY.search(value):
        return "a PEM private key"
    if _KUBECONFIG.search(value):
        return "a kubeconfig"
    if _BOOTSTRAP_TOKEN.search(value):
        return "a kubeadm bootstrap token"
    return None


def plaintext_credentials(props: Mapping[str, Any], where: str) -> list[str]:
    """Known, non-secret values that are credentials: by name (``kubeconfig``, ``*token``,
    ``*private_key_pem``...) or by content (PEM private key, kubeconfig, bootstrap token)."""
    problems: list[str] = []
    for path, leaf, sealed in _walk(props):
        if sealed or leaf is UNKNOWN or leaf in (None, "", {}, []):
            continue
        looks = _looks_secret(leaf)
        if looks:
            problems.append(f"{where} {path} holds {looks} in plain text (make it a secret)")
        elif isinstance(leaf, str) and _sensitive_key(path):
            problems.append(f"{where} {path} is a credential in plain text (make it a secret)")
    return problems


def check_secret_inputs(res: Res, cfg: Config) -> list[str]:
    """Inputs: credentials are secret; credential outputs are declared secret."""
    del cfg
    if res.type == STACK_TYPE:
        return []  # the stack's outputs: check_secret_outputs
    problems = plaintext_credentials(res.props, f"{res.type} {res.name!r} input")
    if res.type == K8S_SECRET:
        for key in ("data", "string_data"):
            value = prop(res.props, key)
            if value is not None and known(value) and not isinstance(value, Sealed):
                problems.append(f"Secret {res.name!r} {key} is not a Pulumi secret")
    declared = {re.sub(r"_", "", s).lower() for s in res.additional_secret_outputs}
    wanted = list(SECRET_OUTPUTS.get(res.type, ()))
    if res.type == RANDOM_STRING and _CREDENTIAL_NAME.search(res.name):
        wanted.append("result")
    missing = [o for o in wanted if o.lower() not in declared]
    if missing:
        problems.append(
            f"{res.type} {res.name!r} is a credential but its output(s) {', '.join(missing)} "
            "are stored in plain text: add additional_secret_outputs="
            f"{[*missing]!r} (or use a secret-by-default resource such as RandomPassword)"
        )
    return problems


def check_secret_outputs(resources: Sequence[Res], cfg: Config) -> list[tuple[str, str]]:
    """Stack outputs (and every resource's known outputs) keep credentials secret."""
    del cfg
    problems: list[tuple[str, str]] = []
    for res in resources:
        if res.type == STACK_TYPE:
            for msg in plaintext_credentials(res.props, "stack output"):
                problems.append((res.urn, msg))
        elif res.type in SECRET_OUTPUTS or res.type == RANDOM_STRING:
            outputs = list(SECRET_OUTPUTS.get(res.type, ()))
            if res.type == RANDOM_STRING and _CREDENTIAL_NAME.search(res.name):
                outputs.append("result")
            for out in outputs:
                value = res.props.get(out)
                if value is not None and known(value) and not isinstance(value, Sealed):
                    problems.append(
                        (res.urn, f"{res.type} {res.name!r} output {out} is not a secret")
                    )
    return problems


# --------------------------------------------------------------------------- policy 4
# Containers are not privileged; only the router and the gateway get NET_ADMIN.

LEAST_PRIVILEGE = "containers-least-privilege"
NEVER_CAPS = {"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "DAC_READ_SEARCH"}


def _caps(res: Res) -> list[str]:
    if res.type == CLOUDLAB_CONTAINER:
        raw = reveal(prop(res.props, "cap_add", [])) or []
    else:
        caps = reveal(prop(res.props, "capabilities", {})) or {}
        raw = reveal(prop(caps, "adds", [])) or [] if isinstance(caps, Mapping) else []
    return [str(reveal(c)).upper().removeprefix("CAP_") for c in raw if known(c)]


def check_container_privileges(res: Res, cfg: Config) -> list[str]:
    """Docker containers: never privileged, no host namespaces, NET_ADMIN only for routing roles."""
    if res.type not in CONTAINER_TYPES:
        return []
    name = _text(prop(res.props, "name")) or res.name
    problems: list[str] = []
    if reveal(prop(res.props, "privileged")) is True:
        problems.append(f"container {name!r} is privileged")
    for key in ("network_mode", "pid_mode", "ipc_mode", "userns_mode"):
        if _text(prop(res.props, key)).lower() == "host":
            problems.append(f"container {name!r} shares the host's namespace ({key}=host)")
    caps = _caps(res)
    role = role_of(name)
    routing = role in (*cfg.router_roles, *cfg.gateway_roles)
    for cap in caps:
        if cap in NEVER_CAPS:
            problems.append(f"container {name!r} adds {cap}: equivalent to privileged")
        elif cap != "NET_ADMIN":
            problems.append(f"container {name!r} adds {cap}: only NET_ADMIN is ever needed")
        elif not routing:
            problems.append(
                f"container {name!r} adds NET_ADMIN but only the router and the gateway "
                f"({'/'.join((*cfg.router_roles, *cfg.gateway_roles))}) may"
            )
    return problems


# --------------------------------------------------------------------------- policy 5
# Kubernetes workloads have resource limits and no host network.

K8S_BOUNDED = "kubernetes-workloads-bounded"
_POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def _dig(value: Any, path: Sequence[str]) -> Any:
    for key in path:
        value = reveal(value)
        if not isinstance(value, Mapping):
            return None
        value = prop(value, key)
    return reveal(value)


def check_kubernetes_workload(res: Res, cfg: Config) -> list[str]:
    """Pods of any workload: CPU and memory limits on every container, no host network/PID/IPC,
    no hostPort."""
    del cfg
    if not res.type.startswith("kubernetes:"):
        return []
    kind = res.type.rsplit(":", 1)[-1]
    path = _POD_TEMPLATE_PATHS.get(kind)
    if path is None:
        return []
    spec = _dig(res.props, path)
    if spec is UNKNOWN or not isinstance(spec, Mapping):
        return [] if spec is UNKNOWN else [f"{kind} {res.name!r} has no pod spec"]
    problems: list[str] = []
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if reveal(prop(spec, flag)) is True:
            problems.append(f"{kind} {res.name!r} sets {flag}: true")
    containers = [
        *(reveal(prop(spec, "init_containers", [])) or []),
        *(reveal(prop(spec, "containers", [])) or []),
    ]
    if not containers and known(prop(spec, "containers")):
        problems.append(f"{kind} {res.name!r} has no containers")
    for c in containers:
        c = reveal(c)
        if not isinstance(c, Mapping):
            continue
        cname = _text(prop(c, "name")) or "?"
        limits = _dig(c, ("resources", "limits"))
        if limits is UNKNOWN:
            continue
        missing = [
            r for r in ("cpu", "memory") if not isinstance(limits, Mapping) or not limits.get(r)
        ]
        if missing:
            problems.append(
                f"{kind} {res.name!r} container {cname!r} has no {' and '.join(missing)} limit"
            )
        for port in reveal(prop(c, "ports", [])) or []:
            port = reveal(port)
            if isinstance(port, Mapping) and reveal(prop(port, "host_port")):
                problems.append(
                    f"{kind} {res.name!r} container {cname!r} binds hostPort "
                    f"{_num(prop(port, 'host_port'))} (use a Service)"
                )
    return problems


# --------------------------------------------------------------------------- policy 6
# No public PaaS instance without a memory limit.

PAAS_MEMORY = "paas-instances-memory-limited"
PAAS_APP_LABEL = "cloudlab.paas.app"
"""Label of the Cloud Foundry stand-in's containers (instances and router)."""
APPENGINE_STANDARD = "gcp:appengine/standardAppVersion:StandardAppVersion"
APPENGINE_FLEXIBLE = "gcp:appengine/flexibleAppVersion:FlexibleAppVersion"


def _positive(value: Any) -> bool:
    value = reveal(value)
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def check_paas_memory(res: Res, cfg: Config) -> list[str]:
    """PaaS instances that serve the public (an App Engine version; a Cloud Foundry stand-in
    container on the route or publishing a port) have a memory limit: an explicit instance
    class or memory size, or a Docker memory limit."""
    del cfg
    p = res.props
    if res.type == APPENGINE_STANDARD:
        if known(prop(p, "instance_class")) and not _text(prop(p, "instance_class")):
            return [
                f"App Engine version {res.name!r} has no instance_class: its memory limit is "
                "whatever the scaling's default class gives (set e.g. B1 or F1)"
            ]
        return []
    if res.type == APPENGINE_FLEXIBLE:
        memory = _dig(p, ("resources", "memory_gb"))
        if memory is not UNKNOWN and not _positive(memory):
            return [f"App Engine flexible version {res.name!r} sets no resources.memory_gb"]
        return []
    if res.type != CLOUDLAB_CONTAINER:
        return []
    labels = reveal(prop(p, "labels", {})) or {}
    if not isinstance(labels, Mapping) or PAAS_APP_LABEL not in labels:
        return []
    memory = prop(p, "memory")
    if not known(memory) or _positive(memory):
        return []
    name = _text(prop(p, "name")) or res.name
    public = bool(_port_bindings(res)) or reveal(labels.get("cloudlab.paas.role")) == "instance"
    if not public:
        return []
    return [
        f"PaaS container {name!r} of app {reveal(labels[PAAS_APP_LABEL])!r} serves the route "
        "but has no memory limit (set memory, the manifest's limit)"
    ]


# --------------------------------------------------------------------------- policy 7
# Pods run as non-root, without privilege escalation, on a read-only root, from pinned images,
# without host paths (Checkov CKV_K8S_20/22/23/37/14/43, kube-score container-security-context
# and container-image-tag).

K8S_POD_SECURITY = "kubernetes-pod-security"


def _image_pinned(image: str) -> bool:
    """A digest, or a tag other than ``latest``."""
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and last.rsplit(":", 1)[1] not in ("", "latest")


def check_pod_security(res: Res, cfg: Config) -> list[str]:
    """Every container of a workload: runAsNonRoot (its own or the pod's), no privilege
    escalation, not privileged, a read-only root file system, every capability dropped, a
    pinned image; the pod mounts no hostPath."""
    del cfg
    if not res.type.startswith("kubernetes:"):
        return []
    kind = res.type.rsplit(":", 1)[-1]
    path = _POD_TEMPLATE_PATHS.get(kind)
    if path is None:
        return []
    spec = _dig(res.props, path)
    if not isinstance(spec, Mapping):
        return []
    problems: list[str] = []
    pod_context = reveal(prop(spec, "security_context", {})) or {}
    pod_non_root = isinstance(pod_context, Mapping) and reveal(prop(pod_context, "run_as_non_root"))
    for volume in reveal(prop(spec, "volumes", [])) or []:
        volume = reveal(volume)
        if isinstance(volume, Mapping) and prop(volume, "host_path") is not None:
            vname = _text(prop(volume, "name")) or "?"
            problems.append(f"{kind} {res.name!r} mounts hostPath volume {vname!r}")
    containers = [
        *(reveal(prop(spec, "init_containers", [])) or []),
        *(reveal(prop(spec, "containers", [])) or []),
    ]
    for c in containers:
        c = reveal(c)
        if not isinstance(c, Mapping):
            continue
        where = f"{kind} {res.name!r} container {_text(prop(c, 'name')) or '?'!r}"
        context = reveal(prop(c, "security_context", {})) or {}
        if context is UNKNOWN:
            continue
        context = context if isinstance(context, Mapping) else {}
        non_root = reveal(prop(context, "run_as_non_root"))
        if not (non_root is True or (non_root is None and pod_non_root is True)):
            problems.append(f"{where} does not set runAsNonRoot: true")
        if reveal(prop(context, "allow_privilege_escalation")) is not False:
            problems.append(f"{where} does not set allowPrivilegeEscalation: false")
        if reveal(prop(context, "privileged")) is True:
            problems.append(f"{where} is privileged")
        if reveal(prop(context, "read_only_root_filesystem")) is not True:
            problems.append(f"{where} does not set readOnlyRootFilesystem: true")
        caps = reveal(prop(context, "capabilities", {})) or {}
        drop = reveal(prop(caps, "drop", [])) if isinstance(caps, Mapping) else []
        if "ALL" not in [str(reveal(d)).upper() for d in drop or []]:
            problems.append(f"{where} does not drop every capability (capabilities.drop: [ALL])")
        image = reveal(prop(c, "image"))
        if isinstance(image, str) and not _image_pinned(image):
            problems.append(f"{where} image {image!r} is not pinned (a tag other than latest)")
    return problems


# --------------------------------------------------------------------------- the pack

RESOURCE_CHECKS = {
    PUBLIC_EXPOSURE: check_published_ports,
    WORLD_OPEN: check_security_group_rule,
    EGRESS: check_egress,
    PORT_SECURITY: check_port_security,
    ADMIN_PASS: check_admin_pass,
    SECRETS: check_secret_inputs,
    LEAST_PRIVILEGE: check_container_privileges,
    K8S_BOUNDED: check_kubernetes_workload,
    PAAS_MEMORY: check_paas_memory,
    K8S_POD_SECURITY: check_pod_security,
}
"""Policy name -> per-resource check."""
STACK_CHECKS = {
    f"{PUBLIC_EXPOSURE}-floating-ips": check_floating_ips,
    f"{SECRETS}-outputs": check_secret_outputs,
}
"""Policy name -> whole-stack check (needs several resources, or the stack's outputs)."""

DESCRIPTIONS = {
    PUBLIC_EXPOSURE: "Only the gateway is published, and only on allowed host addresses "
    "(127.0.0.1 by default).",
    f"{PUBLIC_EXPOSURE}-floating-ips": "Only a gateway VM (calculator/gateway/master) holds a "
    "floating IP.",
    WORLD_OPEN: "No security-group rule opens SSH (22), etcd (2379-2380), the Kubernetes API "
    "(6443), the kubelet (10250), the NodePort range (30000-32767) or an operand port "
    "(50001-50004) to the world (a public source wider than a /16: 0.0.0.0/1 too), over any "
    "protocol.",
    EGRESS: "Security groups drop Neutron's allow-all default egress; no egress rule opens every "
    "protocol or port to the world.",
    PORT_SECURITY: "Ports and networks keep port security enabled.",
    ADMIN_PASS: "Instances log in with a key pair, never admin_pass.",
    K8S_POD_SECURITY: "Containers run as non-root without privilege escalation, on a read-only "
    "root, with every capability dropped, from a pinned image; no hostPath.",
    SECRETS: "Bootstrap tokens, private keys and kubeconfigs are Pulumi secrets (inputs and "
    "declared outputs).",
    f"{SECRETS}-outputs": "Stack outputs and generated credentials are never plain text.",
    LEAST_PRIVILEGE: "Containers are not privileged; only the router and the gateway get "
    "NET_ADMIN.",
    K8S_BOUNDED: "Kubernetes workloads set CPU and memory limits and use neither the host's "
    "network nor host ports.",
    PAAS_MEMORY: "No public PaaS instance (App Engine version, Cloud Foundry stand-in container) "
    "runs without a memory limit.",
}


def check_all(resources: Sequence[Res], cfg: Config | None = None) -> list[tuple[str, str, str]]:
    """Every policy over a whole stack: (policy, urn or name, message)."""
    cfg = cfg or Config()
    found: list[tuple[str, str, str]] = []
    for res in resources:
        for policy, check in RESOURCE_CHECKS.items():
            found += [(policy, res.urn or res.name, m) for m in check(res, cfg)]
    for policy, stack_check in STACK_CHECKS.items():
        found += [(policy, urn, m) for urn, m in stack_check(resources, cfg)]
    return found
