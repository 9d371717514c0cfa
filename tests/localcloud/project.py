"""What a test's OpenStack project holds, counted through openstacksdk: the before/after check
of the real-engine stack tests (a destroy, a failed up or a preview leaves nothing)."""

from __future__ import annotations

from openstack.connection import Connection


def project_counts(conn: Connection) -> dict[str, int]:
    """What the connection's project holds, by kind (its default security group aside)."""
    project = conn.current_project_id
    return {
        "servers": len(list(conn.compute.servers())),
        "networks": len(list(conn.network.networks(project_id=project))),
        "subnets": len(list(conn.network.subnets(project_id=project))),
        "routers": len(list(conn.network.routers(project_id=project))),
        "ports": len(list(conn.network.ports(project_id=project))),
        "floating_ips": len(list(conn.network.ips(project_id=project))),
        "security_groups": len(
            [g for g in conn.network.security_groups(project_id=project) if g.name != "default"]
        ),
        "images": len([i for i in conn.image.images() if i.owner == project]),
    }
