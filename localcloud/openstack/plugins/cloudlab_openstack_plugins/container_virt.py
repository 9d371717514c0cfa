"""A nova virt driver whose servers are Docker containers wired into Open vSwitch like VMs.

There is no usable hypervisor here (``/dev/kvm`` is PVM), so a server is a container on the host
kernel, booted from its Glance image (a ``docker save`` archive, container format ``docker``):
systemd as PID 1, cloud-init reading nova's own instance metadata from a config drive in its seed
directory. Its network is what Neutron built: one veth per port, the host end plugged into
``br-int`` as os-vif plugs a VM's tap (``external_ids`` iface-id, attached-mac, iface-status,
vm-uuid), so the Open vSwitch agent wires it (VLAN tag, security groups as OpenFlow rules) and
Neutron's DHCP agent gives it its address and the subnet's host routes.

Stop, start, reboot, resize, snapshot and delete act on the container. A server whose image is
not a container image (e.g. a tiny raw file a test uploads) runs as nova's fake driver runs it.
"""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import nova.conf
from nova.api.metadata import base as instance_metadata
from nova.compute import power_state, task_states
from oslo_log import log as logging

from cloudlab_openstack_plugins.fake_virt import CloudlabFakeDriver

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

DOCKER = "docker"
INTEGRATION_BRIDGE = "br-int"
LABEL = "cloudlab.openstack.instance"
SEED_DIR = "/var/lib/cloud/seed/config_drive"
# Docker's default set plus what systemd (mounts: SYS_ADMIN) and the guest's network setup
# (dhclient, routes: NET_ADMIN, NET_RAW) need. --privileged is refused here and never used.
CAPABILITIES = (
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SYS_CHROOT",
    "AUDIT_WRITE",
    "SETFCAP",
    "SYS_ADMIN",
    "NET_ADMIN",
)


def _run(*argv: str, stdin: bytes | None = None) -> str:
    result = subprocess.run(argv, input=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.decode()[-2000:]}"
        )
    return result.stdout.decode()


def container_name(instance_uuid: str) -> str:
    """The container of one server."""
    return f"cloudlab-server-{instance_uuid}"


def docker_tag(image_id: str) -> str:
    """The local Docker image holding Glance image ``image_id``."""
    return f"cloudlab-glance/{image_id}:latest"


def vif_devices(vif_id: str) -> tuple[str, str]:
    """Host and guest ends of a port's veth (os-vif's ``tap`` + 11 characters of the port)."""
    return f"tap{vif_id[:11]}", f"gst{vif_id[:11]}"


def _cpus(vcpus: int) -> str:
    """The flavor's vCPUs as a CPU quota, at most the host's cores (Docker refuses more)."""
    return str(min(vcpus, os.cpu_count() or 1))


def _is_container_image(image_meta) -> bool:
    return (
        image_meta is not None
        and image_meta.obj_attr_is_set("container_format")
        and image_meta.container_format == "docker"
    )


class CloudlabContainerDriver(CloudlabFakeDriver):
    """The fake driver's bookkeeping, with a real container behind each server."""

    # --- images -------------------------------------------------------------------------

    def _ensure_docker_image(self, context, image_id: str) -> str:
        tag = docker_tag(image_id)
        if subprocess.run([DOCKER, "image", "inspect", tag], capture_output=True).returncode == 0:
            return tag
        cache = Path(CONF.instances_path) / "_images"
        cache.mkdir(parents=True, exist_ok=True)
        archive = cache / f"{image_id}.tar"
        try:
            self._image_api.download(context, image_id, dest_path=str(archive))
            loaded = _run(DOCKER, "load", "--input", str(archive))
        finally:
            archive.unlink(missing_ok=True)
        # "Loaded image: NAME:TAG" or "Loaded image ID: sha256:..."
        reference = loaded.strip().splitlines()[-1].split(": ", 1)[1]
        _run(DOCKER, "tag", reference, tag)
        LOG.info("cloudlab: Glance image %s loaded into Docker as %s", image_id, tag)
        return tag

    # --- config drive -------------------------------------------------------------------

    def _config_drive(self, instance, injected_files, admin_password, network_info) -> Path:
        """Nova's instance metadata, as the libvirt driver writes it to a config drive."""
        extra_md = {"admin_pass": admin_password} if admin_password else {}
        metadata = instance_metadata.InstanceMetadata(
            instance, content=injected_files, extra_md=extra_md, network_info=network_info
        )
        root = Path(CONF.instances_path) / instance.uuid / "config_drive"
        shutil.rmtree(root, ignore_errors=True)
        for path, data in metadata.metadata_for_config_drive():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data if isinstance(data, bytes) else data.encode())
        return root

    # --- network --------------------------------------------------------------------------

    def _container_pid(self, instance_uuid: str) -> int:
        pid = _run(DOCKER, "inspect", "-f", "{{.State.Pid}}", container_name(instance_uuid))
        return int(pid.strip())

    def _plug(self, instance, network_info) -> None:
        """One veth per port: the host end on br-int as os-vif does, the guest end eth<N>."""
        pid = self._container_pid(instance.uuid)
        for index, vif in enumerate(network_info or []):
            host, guest = vif_devices(vif["id"])
            # A started container has a new veth: its OVS port is removed and added again, so
            # that ovs-vswitchd opens the new device and the agent wires it afresh.
            self._unplug([vif])
            _run("ip", "link", "add", host, "type", "veth", "peer", "name", guest)
            # The userspace datapath forwards what it reads from AF_PACKET sockets as is: the
            # checksums must be complete, not left to an offload that never happens.
            for dev in (host, guest):
                _run("ethtool", "-K", dev, "tx", "off")
            mtu = str(vif["network"].get_meta("mtu") or 1450)
            _run("ip", "link", "set", host, "mtu", mtu, "up")
            _run(
                "ovs-vsctl",
                "--timeout=30",
                "--",
                "--may-exist",
                "add-port",
                INTEGRATION_BRIDGE,
                host,
                "--",
                "set",
                "Interface",
                host,
                f"external_ids:iface-id={vif['id']}",
                "external_ids:iface-status=active",
                f"external_ids:attached-mac={vif['address']}",
                f"external_ids:vm-uuid={instance.uuid}",
            )
            _run("ip", "link", "set", guest, "netns", str(pid))
            nsenter = ("nsenter", "-t", str(pid), "-n")
            _run(*nsenter, "ip", "link", "set", guest, "name", f"eth{index}")
            _run(*nsenter, "ip", "link", "set", f"eth{index}", "address", vif["address"])
            _run(*nsenter, "ip", "link", "set", f"eth{index}", "mtu", mtu)
            _run(*nsenter, "ip", "link", "set", "lo", "up")

    def _unplug(self, network_info) -> None:
        for vif in network_info or []:
            host, _ = vif_devices(vif["id"])
            subprocess.run(
                ["ovs-vsctl", "--timeout=30", "--if-exists", "del-port", INTEGRATION_BRIDGE, host],
                capture_output=True,
                check=False,
            )
            subprocess.run(["ip", "link", "del", host], capture_output=True, check=False)

    # --- the container ----------------------------------------------------------------------

    def _has_container(self, instance_uuid: str) -> bool:
        probe = [DOCKER, "container", "inspect", container_name(instance_uuid)]
        return subprocess.run(probe, capture_output=True).returncode == 0

    def _start(self, instance, network_info) -> None:
        _run(DOCKER, "start", container_name(instance.uuid))
        self._plug(instance, network_info)

    def spawn(
        self,
        context,
        instance,
        image_meta,
        injected_files,
        admin_password,
        allocations,
        network_info=None,
        block_device_info=None,
        power_on=True,
        accel_info=None,
    ):
        """Load the image, write the config drive, create the container, plug, start."""
        if not _is_container_image(image_meta):
            LOG.info("cloudlab: image of %s is no container image: fake server", instance.uuid)
            return super().spawn(
                context,
                instance,
                image_meta,
                injected_files,
                admin_password,
                allocations,
                network_info=network_info,
                block_device_info=block_device_info,
                power_on=power_on,
                accel_info=accel_info,
            )
        tag = self._ensure_docker_image(context, image_meta.id)
        drive = self._config_drive(instance, injected_files, admin_password, network_info)
        flavor = instance.flavor
        name = container_name(instance.uuid)
        subprocess.run([DOCKER, "rm", "-f", name], capture_output=True, check=False)
        argv = [
            DOCKER,
            "create",
            "--name",
            name,
            "--hostname",
            instance.hostname or instance.uuid[:8],
            "--label",
            f"{LABEL}={instance.uuid}",
            "--network",
            "none",
            "--cap-drop",
            "ALL",
            *[arg for cap in CAPABILITIES for arg in ("--cap-add", cap)],
            "--tmpfs",
            "/run",
            "--tmpfs",
            "/run/lock",
            "--volume",
            "/sys/fs/cgroup:/sys/fs/cgroup:ro",
            "--volume",
            f"{drive}:{SEED_DIR}:ro",
            "--env",
            "container=docker",
            "--stop-signal",
            "SIGRTMIN+3",
            "--memory",
            f"{flavor.memory_mb}m",
            "--cpus",
            _cpus(flavor.vcpus),
            tag,
            "/sbin/init",
        ]
        _run(*argv)
        super().spawn(
            context,
            instance,
            image_meta,
            injected_files,
            admin_password,
            allocations,
            network_info=network_info,
            block_device_info=block_device_info,
            power_on=power_on,
            accel_info=accel_info,
        )
        if power_on:
            self._start(instance, network_info)
        LOG.info("cloudlab: server %s runs as container %s (%s)", instance.uuid, name, tag)

    def power_off(self, instance, timeout=0, retry_interval=0):
        """docker stop (systemd shuts down on SIGRTMIN+3)."""
        super().power_off(instance, timeout, retry_interval)
        if self._has_container(instance.uuid):
            _run(DOCKER, "stop", "--time", str(timeout or 10), container_name(instance.uuid))

    def power_on(
        self,
        context,
        instance,
        network_info,
        block_device_info=None,
        accel_info=None,
        share_info=None,
    ):
        """docker start, then plug again (a started container has a new network namespace)."""
        super().power_on(
            context,
            instance,
            network_info,
            block_device_info=block_device_info,
            accel_info=accel_info,
            share_info=share_info,
        )
        if self._has_container(instance.uuid):
            subprocess.run([DOCKER, "stop", container_name(instance.uuid)], capture_output=True)
            self._start(instance, network_info)

    def reboot(
        self,
        context,
        instance,
        network_info,
        reboot_type,
        block_device_info=None,
        bad_volumes_callback=None,
        accel_info=None,
        share_info=None,
    ):
        """Stop and start the container (soft and hard alike)."""
        if not self._has_container(instance.uuid):
            return super().reboot(
                context,
                instance,
                network_info,
                reboot_type,
                block_device_info=block_device_info,
                bad_volumes_callback=bad_volumes_callback,
                accel_info=accel_info,
                share_info=share_info,
            )
        _run(DOCKER, "stop", container_name(instance.uuid))
        self._start(instance, network_info)
        if instance.uuid in self.instances:
            self.instances[instance.uuid].state = power_state.RUNNING
        return None

    def destroy(
        self,
        context,
        instance,
        network_info,
        block_device_info=None,
        destroy_disks=True,
        destroy_secrets=True,
    ):
        """Remove the container, its OVS ports and its config drive."""
        subprocess.run(
            [DOCKER, "rm", "-f", "--volumes", container_name(instance.uuid)],
            capture_output=True,
            check=False,
        )
        self._unplug(network_info)
        if destroy_disks:
            shutil.rmtree(Path(CONF.instances_path) / instance.uuid, ignore_errors=True)
        super().destroy(
            context,
            instance,
            network_info,
            block_device_info=block_device_info,
            destroy_disks=destroy_disks,
            destroy_secrets=destroy_secrets,
        )

    # --- resize (same host: the container is kept, its limits change) ------------------------

    def migrate_disk_and_power_off(
        self,
        context,
        instance,
        dest,
        flavor,
        network_info,
        block_device_info=None,
        timeout=0,
        retry_interval=0,
    ):
        """Stop the container; resizing to this host keeps it."""
        if self._has_container(instance.uuid):
            _run(DOCKER, "stop", container_name(instance.uuid))
            self._unplug(network_info)
        return json.dumps({})

    def finish_migration(
        self,
        context,
        migration,
        instance,
        disk_info,
        network_info,
        image_meta,
        resize_instance,
        allocations,
        block_device_info=None,
        power_on=True,
        share_info=None,
    ):
        """Apply the new flavor's memory and CPUs, then start the container again."""
        if not self._has_container(instance.uuid):
            return super().finish_migration(
                context,
                migration,
                instance,
                disk_info,
                network_info,
                image_meta,
                resize_instance,
                allocations,
                block_device_info=block_device_info,
                power_on=power_on,
                share_info=share_info,
            )
        flavor = instance.flavor
        name = container_name(instance.uuid)
        memory = f"{flavor.memory_mb}m"
        _run(DOCKER, "update", "--memory", memory, "--memory-swap", memory, name)
        _run(DOCKER, "update", "--cpus", _cpus(flavor.vcpus), name)
        state = power_state.RUNNING if power_on else power_state.SHUTDOWN
        self.instances.pop(instance.uuid, None)
        CloudlabFakeDriver.spawn(
            self,
            context,
            instance,
            None,  # no image: the fake bookkeeping only
            None,
            None,
            allocations,
            block_device_info=block_device_info,
            power_on=power_on,
        )
        self.instances[instance.uuid].state = state
        if power_on:
            self._start(instance, network_info)
        return None

    def finish_revert_migration(
        self,
        context,
        instance,
        network_info,
        migration,
        block_device_info=None,
        power_on=True,
        share_info=None,
    ):
        """Back to the old flavor's limits, started again."""
        super().finish_revert_migration(
            context,
            instance,
            network_info,
            migration,
            block_device_info=block_device_info,
            power_on=power_on,
            share_info=share_info,
        )
        if self._has_container(instance.uuid):
            flavor = instance.flavor
            name = container_name(instance.uuid)
            memory = f"{flavor.memory_mb}m"
            _run(DOCKER, "update", "--memory", memory, "--memory-swap", memory, name)
            if power_on:
                self._start(instance, network_info)

    # --- snapshot ---------------------------------------------------------------------------

    def snapshot(self, context, instance, image_id, update_task_state):
        """docker commit, docker save, upload to Glance as a container image."""
        if not self._has_container(instance.uuid):
            return super().snapshot(context, instance, image_id, update_task_state)
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        snapshot = self._image_api.get(context, image_id)
        tag = docker_tag(image_id)
        _run(DOCKER, "commit", "--pause=true", container_name(instance.uuid), tag)
        metadata = {
            "status": "active",
            "name": snapshot["name"],
            "disk_format": "raw",
            "container_format": "docker",
            "properties": {
                "image_location": "snapshot",
                "image_state": "available",
                "owner_id": instance.project_id,
            },
        }
        update_task_state(
            task_state=task_states.IMAGE_UPLOADING,
            expected_state=task_states.IMAGE_PENDING_UPLOAD,
        )
        with tempfile.TemporaryDirectory(dir=CONF.instances_path) as tmp:
            archive = os.path.join(tmp, "snapshot.tar")
            _run(DOCKER, "save", "--output", archive, tag)
            with open(archive, "rb") as data:
                self._image_api.update(context, image_id, metadata, data, purge_props=False)
        LOG.info("cloudlab: snapshot of %s uploaded to image %s", instance.uuid, image_id)
        return None
