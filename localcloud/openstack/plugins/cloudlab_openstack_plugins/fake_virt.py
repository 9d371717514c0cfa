"""A nova virt driver for the local cloud: nova's fake driver made honest about three things.

* node identity: the plain FakeDriver names its node by a test sentinel and never writes the
  ``compute_id`` file, so a restart with the database kept is refused ("No local node identity
  found"). The base class here, FakeDriverWithoutFakeNodes, behaves like a real single-node driver:
  a stable node UUID kept in ``state_path``.
* ``snapshot()``: FakeDriver uploads nothing, so the snapshot image stays ``queued`` forever and no
  server can boot from it. Like the real drivers, this one uploads the snapshot's bytes through
  nova's image API (a small raw disk), so the image becomes ``active`` in Glance.
* restarts: FakeDriver keeps its "VMs" in memory, so after nova-compute restarts it no longer
  knows the servers on its host, and nova's power-state sync stops them. ``get_info()`` adopts a
  server nova places on this host, in its last recorded power state, as a hypervisor whose VMs
  outlived a restart of nova-compute would report it.
* boot time: FakeDriver spawns at once, while a real cloud takes tens of seconds. ``spawn()`` waits
  ``[cloudlab_fake] boot_seconds`` (default 0) first, so benchmarks can imitate a real cloud.
"""

import io
import time

import nova.conf
from nova.compute import power_state, task_states
from nova.image import glance
from nova.virt import fake
from oslo_config import cfg
from oslo_log import log as logging

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF
CONF.register_opts(
    [
        cfg.FloatOpt(
            "boot_seconds",
            default=0.0,
            min=0.0,
            help="Seconds spawn() waits before the server is reported running.",
        ),
        cfg.IntOpt(
            "snapshot_bytes",
            default=64 * 1024,
            min=512,
            help="Size of the raw disk uploaded as a snapshot's data.",
        ),
    ],
    group="cloudlab_fake",
)


def _snapshot_disk(instance_uuid: str, size: int) -> bytes:
    """A small raw disk image: a text header naming the server, then zeros."""
    header = f"cloudlab fake disk of server {instance_uuid}\n".encode()
    return header + bytes(size - len(header))


class CloudlabFakeDriver(fake.FakeDriverWithoutFakeNodes):
    """FakeDriver with a configurable boot time and snapshots that upload their bytes."""

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        self._image_api = glance.API()

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
        """Wait the configured boot time, then spawn as FakeDriver does."""
        delay = CONF.cloudlab_fake.boot_seconds
        if delay:
            LOG.info("cloudlab fake boot: waiting %.1f s for %s", delay, instance.uuid)
            time.sleep(delay)
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

    def get_info(self, instance, use_cache=True):
        """Report the server's state, adopting one this process has not seen (see above)."""
        if instance.uuid not in self.instances and instance.host == self._host:
            state = instance.power_state or power_state.RUNNING
            self.instances[instance.uuid] = fake.FakeInstance(instance.name, state, instance.uuid)
            LOG.info("cloudlab fake: adopted %s (power state %s)", instance.uuid, state)
        return super().get_info(instance, use_cache)

    def snapshot(self, context, instance, image_id, update_task_state):
        """Upload the server's (fake) disk to the snapshot image, as the libvirt driver does."""
        if instance.uuid not in self.instances:
            # FakeDriver's own check and error (InstanceNotRunning).
            return super().snapshot(context, instance, image_id, update_task_state)
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        snapshot = self._image_api.get(context, image_id)
        image_meta = instance.image_meta
        disk_format = image_meta.disk_format if image_meta.obj_attr_is_set("disk_format") else "raw"
        container_format = (
            image_meta.container_format
            if image_meta.obj_attr_is_set("container_format")
            else "bare"
        )
        metadata = {
            "status": "active",
            "name": snapshot["name"],
            "disk_format": disk_format,
            "container_format": container_format,
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
        data = io.BytesIO(_snapshot_disk(instance.uuid, CONF.cloudlab_fake.snapshot_bytes))
        self._image_api.update(context, image_id, metadata, data, purge_props=False)
        LOG.info("cloudlab fake snapshot of %s uploaded to image %s", instance.uuid, image_id)
