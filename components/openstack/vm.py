"""A VM: its port (fixed address, security groups), the instance, an optional floating IP.

VM operations of the labs (docs/labs/openstack.md):

- resize: change the flavor. ``flavor_name`` of ``openstack.compute.Instance`` is updated in
  place ("Changing this resizes the existing server", provider docs), not replaced. Give the
  flavor the VM runs now as ``previous_flavor`` with a ``flavor_sizes`` table and a smaller new
  flavor logs a warning: shrinking a running VM crashed it in the lab.
- snapshot: :class:`VmSnapshot`. The bridged OpenStack provider has no Nova "create image"
  resource (``images.Image`` uploads a file or URL to Glance), so the snapshot is
  ``openstack server image create`` run by :class:`components.dynamic.command.LocalCommand`, with
  ``openstack image delete`` as its delete.
- boot from a snapshot: a :class:`Vm` whose ``image`` is the snapshot's name, with
  ``image_after=[snapshot]`` when the snapshot is taken in the same stack.
- restore: give an existing VM the snapshot's name as ``image``; the provider rebuilds the
  server in place ("Changing this rebuilds the existing server"): data since the snapshot lost.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_openstack as openstack

from components.dynamic.command import LocalCommand, LocalCommandArgs
from components.errors import ConfigError
from components.openstack.network import PrivateNetwork


@dataclass(frozen=True)
class FlavorSize:
    """What a flavor gives a VM; ``None``: unknown (not compared)."""

    vcpus: int
    ram_mb: int
    disk_gb: int | None = None


DEFAULT_FLAVOR_SIZES: Mapping[str, FlavorSize] = {
    # docs/labs/openstack.md: nano (1 vCPU, 512 MB) and small2 (1 vCPU, 1 GB, 20 GB).
    "nano": FlavorSize(1, 512),
    "small2": FlavorSize(1, 1024, 20),
    # The other flavors the labs named, at OpenStack's classic m1.* sizes (a cloud's own table
    # goes in the config: `openstack flavor list`).
    "tiny": FlavorSize(1, 512, 1),
    "small": FlavorSize(1, 2048, 20),
    "medium": FlavorSize(2, 4096, 40),
    "large": FlavorSize(4, 8192, 80),
    "xlarge": FlavorSize(8, 16384, 160),
}
"""Default of ``cloudlab:vmOperations.flavorSizes``."""

FLAVOR_SIZES_KEY = "cloudlab:vmOperations.flavorSizes"


def parse_flavor_sizes(raw: Mapping[str, Any] | None) -> dict[str, FlavorSize]:
    """Validate ``{flavor: {vcpus, ramMb, diskGb?}}``; ``None`` gives the labs' table."""
    if raw is None:
        return dict(DEFAULT_FLAVOR_SIZES)
    if not isinstance(raw, Mapping):
        raise ConfigError(FLAVOR_SIZES_KEY, f"expected an object, got {raw!r}", "{flavor: size}")
    sizes: dict[str, FlavorSize] = {}
    for flavor, size in raw.items():
        key = f"{FLAVOR_SIZES_KEY}.{flavor}"
        if not isinstance(size, Mapping) or set(size) - {"vcpus", "ramMb", "diskGb"}:
            raise ConfigError(key, f"expected {{vcpus, ramMb, diskGb}}, got {size!r}")
        values: dict[str, int | None] = {}
        for name in ("vcpus", "ramMb", "diskGb"):
            value = size.get(name)
            if value is None and name == "diskGb":
                values[name] = None
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{key}.{name}", f"expected a whole number, got {value!r}")
            values[name] = value
        sizes[str(flavor)] = FlavorSize(
            int(values["vcpus"] or 0), int(values["ramMb"] or 0), values["diskGb"]
        )
    return sizes


def cloud_flavor(
    name: str, config_key: str, opts: pulumi.InvokeOptions | None = None
) -> FlavorSize:
    """The size of flavor ``name`` as the cloud defines it (``getFlavor``), before anything is
    created. A flavor the cloud lacks (or a cloud that cannot be reached: the provider's words
    tell which) is a :class:`ConfigError` on ``config_key``. ``opts``: the provider to ask
    (default: the stack's default provider)."""
    try:
        flavor = openstack.compute.get_flavor(name=name, opts=opts)
    except Exception as error:  # the provider's "no results" or an API error, as it words it
        problem = ConfigError(
            config_key,
            f"cannot read flavor {name!r} from the cloud ({error})",
            "a flavor of `openstack flavor list`, and credentials that reach the cloud",
        )
        # A failed invoke also fails the run with the provider's own words, which do not name
        # the key: say it first.
        pulumi.log.error(str(problem))
        raise problem from None
    return FlavorSize(int(flavor.vcpus or 0), int(flavor.ram or 0), flavor.disk)


def shrinks(old: FlavorSize, new: FlavorSize) -> list[str]:
    """What ``new`` has less of than ``old`` (empty: not a shrink)."""
    less = []
    if new.vcpus < old.vcpus:
        less.append(f"vCPUs {old.vcpus} -> {new.vcpus}")
    if new.ram_mb < old.ram_mb:
        less.append(f"RAM {old.ram_mb} MB -> {new.ram_mb} MB")
    if old.disk_gb is not None and new.disk_gb is not None and new.disk_gb < old.disk_gb:
        less.append(f"disk {old.disk_gb} GB -> {new.disk_gb} GB")
    return less


def resize_warning(
    vm: str, old: str | None, new: str, sizes: Mapping[str, FlavorSize]
) -> str | None:
    """The warning for resizing ``vm`` from ``old`` to ``new``, or ``None`` when it is fine."""
    if not old or old == new:
        return None
    if old not in sizes or new not in sizes:
        unknown = ", ".join(f for f in (old, new) if f not in sizes)
        return (
            f"{vm}: resizing {old} -> {new}, cannot tell whether it shrinks the VM "
            f"(no size for {unknown} in {FLAVOR_SIZES_KEY})"
        )
    less = shrinks(sizes[old], sizes[new])
    if not less:
        return None
    return (
        f"{vm}: resizing {old} -> {new} shrinks the VM ({', '.join(less)}); shrinking a running "
        "VM crashed it in the lab: stop it first, or pick a flavor at least as large"
    )


@dataclass
class VmArgs:
    """Arguments of :class:`Vm`."""

    network: PrivateNetwork
    """The network the VM's only port sits in."""
    image: str
    """Glance image name (what the VM boots unless ``image_id`` is given)."""
    flavor: str
    """Nova flavor name."""
    security_group_ids: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    """Groups applied to the port (Neutron's default group is not added)."""
    user_data: pulumi.Input[str] | None = None
    """Cloud-init user data."""
    key_pair: str | None = None
    """Nova key pair to inject."""
    fixed_ip: str | None = None
    """Fixed private address; ``None`` lets DHCP pick."""
    floating_ip_pool: str | None = None
    """External network to take a floating IP from; ``None`` keeps the VM private."""
    floating_ip_after: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist before the floating IP is bound (the router to the external network)."""
    previous_flavor: pulumi.Input[str | None] = None
    """The flavor the VM runs now (e.g. the stack's last output); a smaller ``flavor`` warns."""
    flavor_sizes: Mapping[str, FlavorSize] = field(
        default_factory=lambda: dict(DEFAULT_FLAVOR_SIZES)
    )
    """Sizes of the flavors, to tell a shrink (``cloudlab:vmOperations.flavorSizes``)."""
    image_after: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist before the VM boots, e.g. the :class:`VmSnapshot` it boots from."""
    image_id: pulumi.Input[str] | None = None
    """Glance image id to boot, e.g. a :class:`VmSnapshot`'s ``image_id``: names are not
    unique in Glance (an interrupted snapshot can leave a second image of the same name), ids
    are. Given, it takes the place of ``image``."""


class Vm(pulumi.ComponentResource):
    """One lab VM, reachable from outside only if it is given a floating IP."""

    port: openstack.networking.Port
    instance: openstack.compute.Instance
    floating_ip: openstack.networking.FloatingIp | None
    private_ip: pulumi.Output[str]
    public_ip: pulumi.Output[str] | None

    def __init__(self, name: str, args: VmArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cloudlab:openstack:Vm", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if args.previous_flavor is not None:
            pulumi.Output.from_input(args.previous_flavor).apply(
                lambda old: _warn(resize_warning(name, old, args.flavor, args.flavor_sizes))
            )
        fixed_ip = openstack.networking.PortFixedIpArgs(
            subnet_id=args.network.subnet_id, ip_address=args.fixed_ip
        )
        self.port = openstack.networking.Port(
            f"{name}-port",
            name=name,
            network_id=args.network.network_id,
            fixed_ips=[fixed_ip],
            security_group_ids=list(args.security_group_ids),
            admin_state_up=True,
            opts=child,
        )
        self.instance = openstack.compute.Instance(
            f"{name}-vm",
            name=name,
            image_name=None if args.image_id is not None else args.image,
            image_id=args.image_id,
            flavor_name=args.flavor,
            key_pair=args.key_pair,
            user_data=args.user_data,
            networks=[openstack.compute.InstanceNetworkArgs(port=self.port.id)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.image_after))
            if args.image_after
            else child,
        )
        self.private_ip = self.port.all_fixed_ips[0]
        self.floating_ip = None
        self.public_ip = None
        if args.floating_ip_pool is not None:
            self.floating_ip = openstack.networking.FloatingIp(
                f"{name}-fip", pool=args.floating_ip_pool, opts=child
            )
            openstack.networking.FloatingIpAssociate(
                f"{name}-fip-assoc",
                floating_ip=self.floating_ip.address,
                port_id=self.port.id,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.floating_ip_after)),
            )
            self.public_ip = self.floating_ip.address
        self.register_outputs({"private_ip": self.private_ip, "public_ip": self.public_ip})


def _warn(message: str | None) -> None:
    if message:
        pulumi.log.warn(message)


@dataclass
class VmSnapshotArgs:
    """Arguments of :class:`VmSnapshot`."""

    server_id: pulumi.Input[str]
    """The VM to snapshot (``Vm.instance.id``); a new server is snapshotted again."""
    image_name: str
    """Name of the Glance image made from it (what a VM then boots from)."""
    openstack_cli: str = "openstack"
    """The ``openstack`` client (python-openstackclient) on the machine running Pulumi."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Extra environment for the client, e.g. ``{"OS_CLOUD": "insa"}`` (clouds.yaml)."""


def snapshot_commands(cli: str, server_id: str, image_name: str) -> tuple[str, str]:
    """(create, delete) shell commands of a server snapshot.

    Create waits until the image is active and prints its id; delete removes that image by id
    (``PULUMI_COMMAND_STDOUT``, the create's output), not by name: Glance names are not unique.
    With ``--wait`` the client prints its progress on stdout before the id (a blank line, seen
    against a real Nova), so only the last line is kept.
    """
    client = shlex.join(
        [cli, "server", "image", "create", "--name", image_name, "--wait",
         "-f", "value", "-c", "id", server_id]
    )  # fmt: skip
    create = f'out=$({client}) || exit $?; printf "%s\\n" "$out" | tail -n 1'
    delete = f'{shlex.quote(cli)} image delete "$PULUMI_COMMAND_STDOUT"'
    return create, delete


class VmSnapshot(pulumi.ComponentResource):
    """A Glance image of a VM (``openstack server image create``), deleted on destroy.

    Outputs: ``image_name``, ``image_id`` (the client's output).
    """

    command: LocalCommand
    image_name: pulumi.Output[str]
    image_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: VmSnapshotArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:openstack:VmSnapshot", name, None, opts)
        commands = pulumi.Output.from_input(args.server_id).apply(
            lambda sid: snapshot_commands(args.openstack_cli, sid, args.image_name)
        )
        self.command = LocalCommand(
            f"{name}-image",
            LocalCommandArgs(
                create=commands[0],
                delete=commands[1],
                environment=dict(args.environment),
                triggers=[args.server_id],
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.image_name = pulumi.Output.from_input(args.image_name)
        self.image_id = self.command.stdout
        self.register_outputs({"image_name": self.image_name, "image_id": self.image_id})
