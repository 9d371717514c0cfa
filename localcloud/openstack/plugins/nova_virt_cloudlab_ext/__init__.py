"""``nova.virt.cloudlab_ext``: where nova looks for our driver.

nova loads ``compute_driver`` only from inside ``nova.virt`` (it prefixes the name), so an
out-of-tree driver ships a small subpackage there, as nova-powervm and nova-zvm did. The code itself
lives in :mod:`cloudlab_openstack_plugins.fake_virt`.
"""
