"""Run a cloudlab program under Pulumi mocks and record everything it registers.

``run_program(program, config)`` sets the stack config, runs ``program`` with mocks that
record each custom resource (type, name, inputs, URN) and each provider call, waits for every
outstanding registration, and returns a :class:`Recording` with the stack's exports resolved.
The URN carries the parent chain, which is how tests check ``parent=self``.

Only the SDK's public testing API is used: ``pulumi.runtime.set_mocks`` with a
``pulumi.runtime.mocks.MockMonitor`` subclass, ``@pulumi.runtime.test`` (which clears the
runtime's pending work, runs the program and waits for every registration), and
``pulumi.runtime.reset_options`` so that each run gets a root stack of its own whose exports
are read back through ``pulumi.runtime.get_root_resource()``.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

PROJECT = "cloudlab"
STACK = "test"


@dataclass
class Registered:
    """One custom resource as the program registered it."""

    typ: str
    name: str
    inputs: dict[str, Any]
    urn: str
    outputs: dict[str, Any]
    custom: bool = True
    dependencies: set[str] = field(default_factory=set)
    """URNs this resource waits for (explicit ``depends_on`` and every input's resource)."""

    @property
    def type_chain(self) -> list[str]:
        """Types from the outermost component down to this resource."""
        return self.urn.split("::")[2].split("$")

    @property
    def parent_type(self) -> str:
        """Type of the direct parent (``pulumi:pulumi:Stack`` for top-level resources)."""
        chain = self.type_chain
        return chain[-2] if len(chain) > 1 else "pulumi:pulumi:Stack"


@dataclass
class Recording:
    """Everything one program run registered, called and exported."""

    resources: list[Registered] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    secret_exports: set[str] = field(default_factory=set)

    def of_type(self, typ: str) -> list[Registered]:
        """Resources of one type token, in registration order."""
        return [r for r in self.resources if r.typ == typ]

    def named(self, name: str) -> Registered:
        """The resource with this logical name (exactly one must exist)."""
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def types(self) -> dict[str, int]:
        """Count of resources per type."""
        counts: dict[str, int] = {}
        for r in self.resources:
            counts[r.typ] = counts.get(r.typ, 0) + 1
        return counts

    def __iter__(self) -> Iterator[Registered]:
        return iter(self.resources)

    def dependency_depth(self) -> int:
        """Resources on the longest chain of dependencies between custom resources.

        That chain bounds how many steps ``pulumi up`` must take one after another.
        """
        by_urn = {r.urn: r for r in self.resources if r.custom}
        depth: dict[str, int] = {}

        def visit(urn: str) -> int:
            if urn not in depth:
                deps = [d for d in by_urn[urn].dependencies if d in by_urn]
                depth[urn] = 1 + max((visit(d) for d in deps), default=0)
            return depth[urn]

        return max((visit(urn) for urn in by_urn), default=0)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also keeping each registration's dependencies."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.dependencies: dict[str, set[str]] = {}
        self.custom: dict[str, bool] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        urn = self.make_urn(request.parent, request.type, request.name)
        deps = set(request.dependencies)
        for prop in request.propertyDependencies.values():
            deps.update(prop.urns)
        self.dependencies[urn] = deps
        self.custom[urn] = bool(request.custom)
        return super().RegisterResource(request)


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks giving each resource plausible computed outputs and recording everything."""

    def __init__(self, recording: Recording, stack_outputs: dict[str, Any] | None = None) -> None:
        self.recording = recording
        self.stack_outputs = stack_outputs or {}
        self._cidrs: dict[str, ipaddress.IPv4Network] = {}
        self._next_host: dict[str, int] = {}
        self._floating = 0

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        resource_id = f"{args.name}-id"
        if args.typ == "openstack:networking/subnet:Subnet":
            self._cidrs[resource_id] = ipaddress.ip_network(args.inputs["cidr"])
            self._next_host[resource_id] = 10
        elif args.typ == "openstack:networking/port:Port":
            outputs["allFixedIps"] = [self._address(ip) for ip in args.inputs.get("fixedIps", [])]
        elif args.typ == "pulumi-python:dynamic/cloudlab/docker:LocalImage":
            outputs["image_id"] = f"sha256:{args.name}"
            outputs["ref"] = f"{args.inputs['name']}:{args.inputs.get('tag', 'latest')}"
        elif args.typ == "pulumi-python:dynamic/cloudlab/local:Command":
            outputs["stdout"] = f"{args.name}-stdout"  # e.g. the id a snapshot's create prints
        elif args.typ == "openstack:networking/floatingIp:FloatingIp":
            self._floating += 1
            outputs["address"] = f"203.0.113.{self._floating}"
        self.recording.resources.append(
            Registered(args.typ, args.name, dict(args.inputs), "", outputs)
        )
        return resource_id, outputs

    def _address(self, fixed_ip: dict[str, Any]) -> str:
        if fixed_ip.get("ipAddress"):
            return fixed_ip["ipAddress"]
        subnet = fixed_ip["subnetId"]
        host = self._next_host[subnet]
        self._next_host[subnet] = host + 1
        return str(self._cidrs[subnet][host])

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list]:
        self.recording.calls.append((args.token, dict(args.args)))
        if args.token == "openstack:networking/getNetwork:getNetwork":
            name = args.args.get("name")
            return {"id": f"{name}-net-id", "name": name, "external": True}, []
        if args.token == "pulumi:pulumi:readStackOutputs":  # the engine's own stack reader
            return {"name": args.args.get("name"), "outputs": dict(self.stack_outputs)}, []
        if args.token in CLOUD_ANSWERS:
            return dict(CLOUD_ANSWERS[args.token](args.args)), []
        return {}, []


QUOTA_LIMITS = {
    "maxTotalInstances": 10_000,
    "maxTotalCores": 20_000,
    "maxTotalRamSize": 20_480_000,
    "totalInstancesUsed": 0,
    "totalCoresUsed": 0,
    "totalRamUsed": 0,
}
"""``getLimitsV2`` of the mocked project (roomy, nothing used); tests may edit a copy.
``getQuotaSetV2`` answers its limits."""
AUTH_ROLES = ["admin", "member"]
"""The mocked user's roles: an admin reads usage (``getLimitsV2``), a member limits only."""
NETWORK_QUOTA = {
    "floatingip": 50,
    "network": 100,
    "subnet": 100,
    "router": 10,
    "port": 50_000,
    "securityGroup": 10,
    "securityGroupRule": 10_000,
}
"""``getQuotaV2`` of the mocked project (Neutron's defaults, more ports and rules: the scaling
tests run hundreds of VMs)."""

CLOUD_ANSWERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "openstack:identity/getAuthScope:getAuthScope": lambda _: {
        "projectId": "lab-project-id",
        "projectName": "lab",
        "roles": [{"roleId": "r1", "roleName": role} for role in AUTH_ROLES],
    },
    "openstack:compute/getFlavor:getFlavor": lambda a: {
        "name": a.get("name"),
        "vcpus": 1,
        "ram": 1024,
        "disk": 20,
    },
    "openstack:compute/getLimitsV2:getLimitsV2": lambda _: dict(QUOTA_LIMITS),
    "openstack:compute/getQuotaSetV2:getQuotaSetV2": lambda _: {
        "instances": QUOTA_LIMITS["maxTotalInstances"],
        "cores": QUOTA_LIMITS["maxTotalCores"],
        "ram": QUOTA_LIMITS["maxTotalRamSize"],
    },
    "openstack:networking/getQuotaV2:getQuotaV2": lambda _: dict(NETWORK_QUOTA),
    "openstack:networking/getPortIds:getPortIds": lambda _: {"ids": []},
    "openstack:networking/getSubnetIdsV2:getSubnetIdsV2": lambda _: {"ids": []},
    # the classroom stack's role lookup (Keystone's roles: admin, member, reader)
    "openstack:identity/getRole:getRole": lambda a: {"id": f"{a.get('name')}-id", **a},
}
"""What the mocked cloud answers to the pre-flight's data sources (see
components/openstack/quota.py): a project with the clouds' default quotas, empty."""


def run_program(
    program: Callable[[], object],
    config: dict[str, Any] | None = None,
    *,
    preview: bool = False,
    recording: Recording | None = None,
    stack_outputs: dict[str, Any] | None = None,
    mocks_class: type[RecordingMocks] | None = None,
    secret_keys: Iterable[str] = (),
) -> Recording:
    """Run ``program`` under mocks with ``config`` (``{"cloudlab:key": value}``) set.

    Exceptions raised by the program (validation errors) propagate to the caller; pass
    ``recording`` to see what was registered before the failure. ``stack_outputs`` is what
    the stack exported at its last update (:mod:`components.stack_outputs` reads it);
    ``mocks_class`` a subclass of :class:`RecordingMocks` computing more outputs (e.g. for
    pulumi-tls); ``secret_keys`` the config keys that are secret (as ``pulumi config set
    --secret`` marks them).
    """
    recording = Recording() if recording is None else recording
    mocks = (mocks_class or RecordingMocks)(recording, stack_outputs)
    monitor = RecordingMonitor(mocks)
    # A fresh root stack for every run (set_mocks makes one when there is none), so that the
    # exports read below are this run's only.
    pulumi.runtime.reset_options(project=PROJECT, stack=STACK, preview=preview)
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in (config or {}).items()},
        secret_keys=list(secret_keys),
    )
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=preview, monitor=monitor)

    @pulumi.runtime.test
    def run() -> pulumi.Output[list[None]]:
        program()
        root = pulumi.runtime.get_root_resource()
        exports: dict[str, Any] = dict(getattr(root, "outputs", {}))
        return pulumi.Output.all(*(_resolve(recording, k, v) for k, v in exports.items()))

    run()

    urns = {
        (reg.urn.split("::")[-1], reg.urn.split("::")[2].split("$")[-1]): reg.urn
        for reg in monitor.get_registered_resources().values()
    }
    for resource in recording.resources:
        resource.urn = urns[(resource.name, resource.typ)]
        resource.dependencies = monitor.dependencies.get(resource.urn, set())
        resource.custom = monitor.custom.get(resource.urn, True)
    return recording


def _resolve(recording: Recording, key: str, value: Any) -> pulumi.Output[None]:
    """An output that records one export's resolved value (and whether it is secret)."""
    output = pulumi.Output.from_input(value)

    async def record() -> None:
        recording.exports[key] = await output.future()
        if await output.is_secret():
            recording.secret_exports.add(key)

    return pulumi.Output.from_input(record())
