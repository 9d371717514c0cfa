"""``Network``: a user-defined Docker bridge network with a fixed subnet."""

from __future__ import annotations

import dataclasses
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


@dataclasses.dataclass
class NetworkArgs:
    """A network ``name`` on ``subnet``.

    ``gateway`` is the address the host's bridge takes (Docker's gateway). Keep it away from the
    addresses a router container holds (e.g. use .254 and give the router .1).
    ``internal`` cuts the network off from the host's routing to anywhere else (Docker's isolation
    rules drop traffic entering or leaving the bridge to or from other subnets); published ports
    need a non-internal network.
    """

    name: pulumi.Input[str]
    subnet: pulumi.Input[str]
    stack: pulumi.Input[str]
    """Value of the ``cloudlab.stack`` label."""
    gateway: pulumi.Input[str] | None = None
    internal: pulumi.Input[bool] = False
    driver: pulumi.Input[str] = "bridge"
    options: pulumi.Input[dict[str, str]] = dataclasses.field(default_factory=dict)
    """Driver options, e.g. ``{"com.docker.network.bridge.name": "cl-back"}``."""
    ip_range: pulumi.Input[str] | None = None
    """Sub-range for addresses Docker assigns itself (fixed ``ipv4_address``es may lie outside)."""
    labels: pulumi.Input[dict[str, str]] = dataclasses.field(default_factory=dict)

    def to_props(self) -> dict[str, Any]:
        return to_props(self)


INPUT_KEYS = (
    "name", "subnet", "gateway", "internal", "driver", "options", "ip_range", "labels", "stack",
)  # fmt: skip
REPLACE_KEYS = INPUT_KEYS
"""Docker cannot change a network in place: every change replaces it (deleted first: same name)."""


class NetworkProvider(HashDiffProvider):
    """The resource id is Docker's network id."""

    INPUT_KEYS = INPUT_KEYS
    REPLACE_KEYS = REPLACE_KEYS
    DELETE_BEFORE_REPLACE = True

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        import docker.errors
        from docker.types import IPAMConfig, IPAMPool

        from .client import docker_client

        client = docker_client()
        name = props["name"]
        spec = value_hash(input_hashes(props, INPUT_KEYS))
        existing = [n for n in client.networks.list(names=[name]) if n.name == name]
        if existing:
            if adoptable(existing[0].attrs.get("Labels"), props["stack"], spec):
                # Left by an interrupted update, from these very inputs: take it over.
                return dyn.CreateResult(
                    id_=existing[0].id, outs=self._outs(props, existing[0].attrs)
                )
            raise RuntimeError(
                f"a Docker network named {name!r} already exists and is not this one; remove it "
                "(components.dynamic.docker.cleanup) or pick another name"
            )
        pool = IPAMPool(
            subnet=props["subnet"],
            gateway=props.get("gateway") or None,
            iprange=props.get("ip_range") or None,
        )
        try:
            net = client.networks.create(
                name,
                driver=props.get("driver") or "bridge",
                options={str(k): str(v) for k, v in (props.get("options") or {}).items()},
                ipam=IPAMConfig(pool_configs=[pool]),
                internal=bool(props.get("internal")),
                labels=spec_labels(props["stack"], props.get("labels"), spec),
                check_duplicate=True,
            )
        except docker.errors.APIError as exc:
            raise RuntimeError(f"creating network {name} ({props['subnet']}): {exc}") from exc
        net.reload()
        return dyn.CreateResult(id_=net.id, outs=self._outs(props, net.attrs))

    @staticmethod
    def _outs(props: dict[str, Any], attrs: dict[str, Any]) -> dict[str, Any]:
        outs = {k: props.get(k) for k in INPUT_KEYS}
        pools = (attrs.get("IPAM") or {}).get("Config") or [{}]
        outs.update(
            network_id=attrs["Id"],
            gateway=pools[0].get("Gateway") or props.get("gateway"),
            input_hashes=input_hashes(props, INPUT_KEYS),
        )
        return outs

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        import docker.errors

        from .client import docker_client

        try:
            net = docker_client().networks.get(id_)
        except docker.errors.NotFound:
            return dyn.ReadResult("", {})
        outs = dict(props)
        outs.update(self._outs(props, net.attrs), input_hashes=props.get("input_hashes"))
        return dyn.ReadResult(net.id, outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        import docker.errors

        from .client import docker_client

        client = docker_client()
        try:
            client.networks.get(id_).remove()
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            raise RuntimeError(
                f"cannot remove network {props.get('name') or id_}: {exc.explanation} "
                "(containers still attached?)"
            ) from exc


class Network(dyn.Resource, module="cloudlab/docker", name="Network"):
    """A Docker network. Outputs: ``network_id``, ``name``, ``subnet``, ``gateway``.

    Attach containers with ``NetworkAttachment(network=net.name, ...)`` so they depend on it.
    """

    network_id: pulumi.Output[str]
    name: pulumi.Output[str]
    subnet: pulumi.Output[str]
    gateway: pulumi.Output[str | None]

    def __init__(
        self, resource_name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = args.to_props()
        props.update(network_id=None, input_hashes=None)
        super().__init__(NetworkProvider(), resource_name, props, opts)
