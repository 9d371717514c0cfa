"""A real OpenStack on 127.0.0.1 (Keystone, Neutron, Placement, Nova on a fake driver, Glance).

Built from PyPI into a cached venv and run by the project itself, so the OpenStack stacks can be
proven against real APIs. For tests: ``ensure_up()`` starts it when needed and says whether it
did; ``down()`` stops it. The CLI is ``python -m localcloud.openstack up|down|status|env``.
"""

from localcloud.openstack.layout import ADMIN_CLOUD_NAME, CLOUD_NAME, Layout
from localcloud.openstack.lifecycle import down, is_up, status, up


def ensure_up() -> bool:
    """Bring the local cloud up if it is not; True if this call started it."""
    return up()


__all__ = ["ADMIN_CLOUD_NAME", "CLOUD_NAME", "Layout", "down", "ensure_up", "is_up", "status", "up"]
