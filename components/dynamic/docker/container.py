"""``Container``: one Docker container, replaced (never patched) when its spec changes.

Routing features for the secured topology (see components/docker/README.md):

- ``routes``: static routes the container applies to itself at every start (gateway container);
- ``forward`` / ``masquerade``: a router container's forwarding policy and source NAT;

All three need ``NET_ADMIN`` in ``cap_add`` and ``/bin/sh``, ``ip`` and ``iptables`` in the image.
They are applied by a short shell prelude (:mod:`.routing`) that the provider puts in front of
the image's own entrypoint and command, so they survive ``docker restart``. Create waits until
the container runs for good (:mod:`.running`).

The provider class stays in this module: the engine stores it pickled by this module path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from components.dynamic.base import (
    HashDiffProvider,
    adoptable,
    input_hashes,
    spec_labels,
    to_props,
    value_hash,
)
from components.dynamic.docker.routing import (
    INIT_SCRIPT,
    ROUTING_CAP,
    compose_argv,
    routing_env,
)
from components.dynamic.docker.running import wait_running


@dataclasses.dataclass
class NetworkAttachment:
    """Attach to ``network`` (name or id), optionally at a fixed ``ipv4_address``."""

    network: pulumi.Input[str]
    ipv4_address: pulumi.Input[str] | None = None
    aliases: pulumi.Input[list[str]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class PortBinding:
    """Publish ``container_port`` on ``host_ip:host_port`` (loopback unless said otherwise)."""

    container_port: pulumi.Input[int]
    host_port: pulumi.Input[int]
    host_ip: pulumi.Input[str] = "127.0.0.1"
    protocol: pulumi.Input[str] = "tcp"


@dataclasses.dataclass
class Route:
    """A static route ``destination`` (CIDR) ``via`` a next hop on an attached network."""

    destination: pulumi.Input[str]
    via: pulumi.Input[str]


@dataclasses.dataclass
class ForwardRule:
    """Router policy: forward new connections from ``source`` to ``destination`` (CIDRs).

    With any rule set, the router's FORWARD policy is DROP; replies are allowed (conntrack).
    """

    source: pulumi.Input[str]
    destination: pulumi.Input[str]


@dataclasses.dataclass
class ContainerArgs:
    """Inputs of a :class:`Container`. Every change replaces the container except
    ``start_timeout``."""

    name: pulumi.Input[str]
    image: pulumi.Input[str]
    """Image ref or id; give ``LocalImage.image_id`` so that a rebuild replaces the container."""
    stack: pulumi.Input[str]
    """Value of the ``cloudlab.stack`` label."""
    command: pulumi.Input[list[str]] | None = None
    entrypoint: pulumi.Input[list[str]] | None = None
    env: pulumi.Input[dict[str, str]] = dataclasses.field(default_factory=dict)
    """May hold secrets: never copied to outputs (only a hash is kept, to diff)."""
    networks: pulumi.Input[list[NetworkAttachment]] = dataclasses.field(default_factory=list)
    """The first one is the network the container is created on (its default route)."""
    ports: pulumi.Input[list[PortBinding]] = dataclasses.field(default_factory=list)
    cap_add: pulumi.Input[list[str]] = dataclasses.field(default_factory=list)
    sysctls: pulumi.Input[dict[str, str]] = dataclasses.field(default_factory=dict)
    """e.g. ``{"net.ipv4.ip_forward": "1"}`` for a router (namespaced, needs no capability)."""
    restart_policy: pulumi.Input[str] = "unless-stopped"
    """``no``, ``always``, ``unless-stopped`` or ``on-failure[:N]``."""
    labels: pulumi.Input[dict[str, str]] = dataclasses.field(default_factory=dict)
    routes: pulumi.Input[list[Route]] = dataclasses.field(default_factory=list)
    forward: pulumi.Input[list[ForwardRule]] = dataclasses.field(default_factory=list)
    masquerade: pulumi.Input[list[str]] = dataclasses.field(default_factory=list)
    """CIDRs whose traffic the router source-NATs to its own address on the way out."""
    start_timeout: pulumi.Input[float] = 30.0
    """Seconds that create waits for the container to be running."""
    memory: pulumi.Input[int] | None = None
    """Hard memory limit in bytes (swap included: none beyond it); unset: no limit."""

    def to_props(self) -> dict[str, Any]:
        return to_props(self)


INPUT_KEYS = (
    "name", "image", "stack", "command", "entrypoint", "env", "networks", "ports", "cap_add",
    "sysctls", "restart_policy", "labels", "routes", "forward", "masquerade", "start_timeout",
    "memory",
)  # fmt: skip
REPLACE_KEYS = tuple(k for k in INPUT_KEYS if k != "start_timeout")
ADDED_KEYS = ("memory",)
"""Inputs newer than some states (see :attr:`HashDiffProvider.ADDED_KEYS`)."""
MIN_MEMORY = 6 * 1024 * 1024
"""Docker's smallest memory limit."""
PUBLIC_KEYS = ("name", "image", "stack", "networks", "ports", "memory")
"""Inputs echoed in outputs; the others (env, command...) are only hashed."""


def validate(props: dict[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) failures for known values: routing needs NET_ADMIN; well-formed items."""
    failures: list[tuple[str, str]] = []
    caps = {str(c).upper().removeprefix("CAP_") for c in props.get("cap_add") or []}
    for key in ("routes", "forward", "masquerade"):
        if props.get(key) and ROUTING_CAP not in caps:
            failures.append((key, f"{key} needs {ROUTING_CAP} in cap_add"))
    if "SYS_ADMIN" in caps or "ALL" in caps:
        failures.append(("cap_add", "SYS_ADMIN/ALL are not allowed (no privileged containers)"))
    policy = str(props.get("restart_policy") or "no")
    if policy.split(":")[0] not in ("no", "always", "unless-stopped", "on-failure"):
        failures.append(("restart_policy", f"unknown restart policy {policy!r}"))
    limit = props.get("memory")
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int | float) or int(limit) < MIN_MEMORY
    ):
        failures.append(("memory", f"a limit in bytes of at least {MIN_MEMORY} (6 MiB)"))
    for i, p in enumerate(props.get("ports") or []):
        if str(p.get("protocol") or "tcp") not in ("tcp", "udp", "sctp"):
            failures.append((f"ports[{i}].protocol", "tcp, udp or sctp"))
    return failures


def _restart_policy(policy: str) -> dict[str, Any]:
    name, _, count = policy.partition(":")
    out: dict[str, Any] = {"Name": "" if name == "no" else name}
    if name == "on-failure" and count:
        out["MaximumRetryCount"] = int(count)
    return out


def _ip_addresses(attrs: dict[str, Any]) -> dict[str, str]:
    nets = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
    return {name: info.get("IPAddress") or "" for name, info in sorted(nets.items())}


def _outs(props: dict[str, Any], attrs: dict[str, Any], hashes: dict[str, str]) -> dict[str, Any]:
    outs = {k: props.get(k) for k in PUBLIC_KEYS}
    outs.update(
        container_id=attrs["Id"],
        image_id=attrs.get("Image"),
        ip_addresses=_ip_addresses(attrs),
        status=(attrs.get("State") or {}).get("Status"),
        input_hashes=hashes,
    )
    return outs


class ContainerProvider(HashDiffProvider):
    """The resource id is Docker's container id."""

    INPUT_KEYS = INPUT_KEYS
    REPLACE_KEYS = REPLACE_KEYS
    ADDED_KEYS = ADDED_KEYS
    DELETE_BEFORE_REPLACE = True
    """Same name and fixed addresses: the old container must go first."""

    def drift(self, olds: Mapping[str, Any]) -> bool:
        """A container seen stopped by ``read``: ``update`` starts it again."""
        return olds.get("status") not in (None, "running")

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        failures = [dyn.CheckFailure(p, r) for p, r in validate(news)]
        return dyn.CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        import docker.errors

        from .client import docker_client

        failures = validate(props)
        if failures:
            raise ValueError("; ".join(f"{p}: {r}" for p, r in failures))
        client = docker_client()
        api = client.api
        name = props["name"]
        spec = value_hash(input_hashes(props, REPLACE_KEYS))
        existing = api.containers(all=True, filters={"name": f"^/{name}$"})
        if existing:
            found = existing[0]
            if not adoptable(found.get("Labels"), props["stack"], spec):
                raise RuntimeError(
                    f"a container named {name!r} already exists and is not this one; remove it "
                    "(components.dynamic.docker.cleanup) or pick another name"
                )
            if found.get("State") != "created":
                return self._adopt(api, found["Id"], props)
            # Never started: the interrupted create may have stopped before attaching the other
            # networks (attached between Docker's create and the start). Make it afresh.
            pulumi.log.info(f"recreating container {name}, left unstarted by an interrupted update")
            api.remove_container(found["Id"], force=True, v=True)
        try:
            image = client.images.get(props["image"])
        except docker.errors.ImageNotFound as exc:
            raise RuntimeError(f"image {props['image']!r} not found (build or import it)") from exc

        env = {str(k): str(v) for k, v in (props.get("env") or {}).items()}
        entrypoint = props.get("entrypoint") or None
        command = props.get("command") or None
        extra_env = routing_env(props)
        user = None
        if extra_env:
            config = image.attrs.get("Config") or {}
            # The prelude needs root (with NET_ADMIN) for ip/iptables; the image's own command
            # then runs as the image's user again, with every capability dropped.
            image_user = str(config.get("User") or "")
            if image_user and image_user.split(":")[0] not in ("0", "root"):
                extra_env["CLOUDLAB_RUN_AS"] = image_user
                user = "0"
            argv = compose_argv(entrypoint, command, config.get("Entrypoint"), config.get("Cmd"))
            if not argv:
                raise RuntimeError(f"{name}: no command to run after the routing prelude")
            entrypoint = ["/bin/sh", "-c", INIT_SCRIPT, "cloudlab-init"]
            command = argv
            env.update(extra_env)

        ports = props.get("ports") or []
        limit = int(props["memory"]) if props.get("memory") is not None else None
        host_config = api.create_host_config(
            mem_limit=limit,
            memswap_limit=limit,
            cap_add=list(props.get("cap_add") or []) or None,
            sysctls={str(k): str(v) for k, v in (props.get("sysctls") or {}).items()} or None,
            restart_policy=_restart_policy(str(props.get("restart_policy") or "no")),
            port_bindings={
                f"{int(p['container_port'])}/{p.get('protocol') or 'tcp'}": (
                    p.get("host_ip") or "127.0.0.1",
                    int(p["host_port"]),
                )
                for p in ports
            }
            or None,
        )
        networks = props.get("networks") or []
        networking_config = None
        if networks:
            first = networks[0]
            networking_config = api.create_networking_config(
                {first["network"]: self._endpoint(api, first)}
            )
        created = api.create_container(
            props["image"],
            name=name,
            command=command,
            entrypoint=entrypoint,
            environment=env,
            user=user,
            labels=spec_labels(props["stack"], props.get("labels"), spec),
            ports=[(int(p["container_port"]), p.get("protocol") or "tcp") for p in ports] or None,
            host_config=host_config,
            networking_config=networking_config,
            detach=True,
        )
        cid = created["Id"]
        try:
            for att in networks[1:]:
                api.connect_container_to_network(
                    cid,
                    att["network"],
                    ipv4_address=att.get("ipv4_address") or None,
                    aliases=list(att.get("aliases") or []) or None,
                )
            api.start(cid)
            attrs = wait_running(api, cid, float(props.get("start_timeout") or 30))
        except Exception:
            with contextlib.suppress(docker.errors.APIError):
                api.remove_container(cid, force=True, v=True)
            raise
        return dyn.CreateResult(id_=cid, outs=_outs(props, attrs, input_hashes(props, INPUT_KEYS)))

    @staticmethod
    def _endpoint(api: Any, att: dict[str, Any]) -> Any:
        return api.create_endpoint_config(
            ipv4_address=att.get("ipv4_address") or None,
            aliases=list(att.get("aliases") or []) or None,
        )

    @staticmethod
    def _adopt(api: Any, container_id: str, props: dict[str, Any]) -> dyn.CreateResult:
        """Take over the container an interrupted ``up`` created from these very inputs."""
        pulumi.log.info(f"adopting container {props['name']} left by an interrupted update")
        if not (api.inspect_container(container_id).get("State") or {}).get("Running"):
            api.start(container_id)
        attrs = wait_running(api, container_id, float(props.get("start_timeout") or 30))
        return dyn.CreateResult(
            id_=container_id, outs=_outs(props, attrs, input_hashes(props, INPUT_KEYS))
        )

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        """Only non-replacing changes get here: start_timeout, or a stopped container (drift)."""
        from .client import docker_client

        api = docker_client().api
        if not (api.inspect_container(id_).get("State") or {}).get("Running"):
            api.start(id_)
        attrs = wait_running(api, id_, float(news.get("start_timeout") or 30))
        return dyn.UpdateResult(outs=_outs(news, attrs, input_hashes(news, INPUT_KEYS)))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        import docker.errors

        from .client import docker_client

        try:
            attrs = docker_client().api.inspect_container(id_)
        except docker.errors.NotFound:
            return dyn.ReadResult("", {})
        outs = dict(props)
        outs.update(_outs(props, attrs, props.get("input_hashes") or {}))
        return dyn.ReadResult(id_, outs)

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        import docker.errors

        from .client import docker_client

        api = docker_client().api
        deadline = time.monotonic() + 30
        while True:
            try:
                api.remove_container(id_, force=True, v=True)
                return
            except docker.errors.NotFound:
                return
            except docker.errors.APIError as exc:
                # 409: removal already in progress (e.g. a concurrent cleanup); wait for it.
                if exc.status_code != 409 or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


class Container(dyn.Resource, module="cloudlab/docker", name="Container"):
    """A running container.

    Outputs: ``container_id``, ``name``, ``image_id``, ``ip_addresses`` (network name -> IPv4),
    ``status``, and the inputs ``image``, ``networks``, ``ports``, ``stack`` (never ``env``).
    """

    container_id: pulumi.Output[str]
    name: pulumi.Output[str]
    image_id: pulumi.Output[str]
    ip_addresses: pulumi.Output[dict[str, str]]
    status: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: ContainerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = args.to_props()
        props.update(
            container_id=None, image_id=None, ip_addresses=None, status=None, input_hashes=None
        )
        # input_hashes covers env: keep it encrypted in the state like a secret.
        secret = pulumi.ResourceOptions(additional_secret_outputs=["input_hashes"])
        opts = pulumi.ResourceOptions.merge(secret, opts)
        super().__init__(ContainerProvider(), resource_name, props, opts)
