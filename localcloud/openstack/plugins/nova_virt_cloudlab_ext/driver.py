"""``compute_driver = cloudlab_ext.driver.CloudlabContainerDriver`` resolves to this module."""

from cloudlab_openstack_plugins.container_virt import CloudlabContainerDriver
from cloudlab_openstack_plugins.fake_virt import CloudlabFakeDriver

__all__ = ["CloudlabContainerDriver", "CloudlabFakeDriver"]
