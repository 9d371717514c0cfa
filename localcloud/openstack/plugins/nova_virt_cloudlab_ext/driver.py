"""``compute_driver = cloudlab_ext.driver.CloudlabFakeDriver`` resolves to this module."""

from cloudlab_openstack_plugins.fake_virt import CloudlabFakeDriver

__all__ = ["CloudlabFakeDriver"]
