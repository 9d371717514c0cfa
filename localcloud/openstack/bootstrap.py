"""Bootstrap of the local cloud through openstacksdk in one process (~25 CLI calls cost a minute).

Run by the services venv's Python (``python -m localcloud.openstack.bootstrap identity|resources``)
so that the project venv needs nothing of OpenStack to bring the cloud up. Every step is
find-or-create, so running it again changes nothing.

* identity: service users and their roles, services and endpoints in the catalog, the lab's project
  and user (member: enough to create routers with an external gateway on ``public``);
* resources: the external network ``public`` and its subnet, the labs' flavors, the ``ubuntu_20``
  image (the server image of scripts/openstack-image.sh, as a container image), the lab project's
  quotas.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import openstack
from openstack.connection import Connection

from localcloud.openstack.ovs import PUBLIC_CIDR, PUBLIC_GATEWAY, PUBLIC_POOL

HOST = "127.0.0.1"
REGION = "RegionOne"
SERVICES = {
    # name: (type, url, description)
    "nova": ("compute", f"http://{HOST}:8774/v2.1", "OpenStack Compute"),
    "neutron": ("network", f"http://{HOST}:9696", "OpenStack Networking"),
    "placement": ("placement", f"http://{HOST}:8778", "Placement API"),
    "glance": ("image", f"http://{HOST}:9292", "OpenStack Image"),
}
LAB_PROJECT = "cloudlab"
LAB_USER = "cloudlab"
# Named as the labs name them (docs/labs/openstack.md): name -> (vCPUs, RAM MiB, disk GiB).
FLAVORS = {
    "nano": (1, 512, 1),
    "tiny": (1, 512, 5),
    "small": (1, 2048, 20),
    "small2": (1, 1024, 20),
    "medium": (2, 4096, 40),
    "large": (4, 8192, 80),
    "xlarge": (8, 16384, 160),
}
IMAGE = "ubuntu_20"
SERVER_IMAGE = os.environ.get(
    "CLOUDLAB_OPENSTACK_SERVER_IMAGE", "cloudlab/openstack-server:bookworm"
)
# The labs' two stacks (5 + 3 VMs), snapshots booted from, and room for tests in parallel.
COMPUTE_QUOTAS = {"instances": 30, "cores": 60, "ram": 96 * 1024, "key_pairs": 50}
NETWORK_QUOTAS = {
    "floating_ips": 10,
    "networks": 20,
    "subnets": 20,
    "ports": 200,
    "routers": 10,
    "security_groups": 30,
    "security_group_rules": 300,
}


def connect(secrets: dict[str, str]) -> Connection:
    """An admin connection to the local Keystone."""
    return openstack.connect(
        auth_url=f"http://{HOST}:5000/v3",
        username="admin",
        password=secrets["admin"],
        project_name="admin",
        user_domain_name="Default",
        project_domain_name="Default",
        region_name=REGION,
        interface="public",
        identity_api_version="3",
    )


def _role(conn: Connection, name: str):
    return conn.identity.find_role(name) or conn.identity.create_role(name=name)


def identity(conn: Connection, secrets: dict[str, str]) -> None:
    """Service project, users, catalog; the lab's project and user."""
    ident = conn.identity
    domain = ident.find_domain("default")
    service_project = ident.find_project("service", domain_id=domain.id) or ident.create_project(
        name="service", domain_id=domain.id, description="OpenStack services"
    )
    admin_role, service_role, member_role = (_role(conn, r) for r in ("admin", "service", "member"))
    for name, (kind, url, description) in SERVICES.items():
        user = ident.find_user(name, domain_id=domain.id)
        if user is None:
            user = ident.create_user(name=name, password=secrets["service"], domain_id=domain.id)
        else:
            ident.update_user(user, password=secrets["service"])
        for role in (admin_role, service_role):
            ident.assign_project_role_to_user(service_project, user, role)
        service = next(iter(ident.services(type=kind)), None) or ident.create_service(
            name=name, type=kind, description=description, is_enabled=True
        )
        existing = {e.interface: e for e in ident.endpoints(service_id=service.id)}
        for interface in ("public", "internal", "admin"):
            if interface in existing:
                if existing[interface].url != url:
                    ident.update_endpoint(existing[interface], url=url)
            else:
                ident.create_endpoint(
                    service_id=service.id, interface=interface, url=url, region_id=REGION
                )
    project = ident.find_project(LAB_PROJECT, domain_id=domain.id) or ident.create_project(
        name=LAB_PROJECT, domain_id=domain.id, description="cloudlab's labs"
    )
    user = ident.find_user(LAB_USER, domain_id=domain.id)
    if user is None:
        user = ident.create_user(
            name=LAB_USER,
            password=secrets["lab"],
            domain_id=domain.id,
            default_project_id=project.id,
        )
    else:
        ident.update_user(user, password=secrets["lab"])
    ident.assign_project_role_to_user(project, user, member_role)
    # The admin may act in the lab's project too (quota changes and checks in tests).
    admin = ident.find_user("admin", domain_id=domain.id)
    ident.assign_project_role_to_user(project, admin, admin_role)


def resources(conn: Connection, state: Path) -> None:
    """External network, flavors, image, quotas."""
    net = conn.network
    public = net.find_network("public")
    if public is None:
        public = net.create_network(
            name="public",
            is_router_external=True,
            is_shared=False,
            provider_network_type="flat",
            provider_physical_network="public",
        )
    if not list(net.subnets(network_id=public.id)):
        net.create_subnet(
            name="public-subnet",
            network_id=public.id,
            ip_version=4,
            cidr=PUBLIC_CIDR,
            gateway_ip=PUBLIC_GATEWAY,
            allocation_pools=[{"start": PUBLIC_POOL[0], "end": PUBLIC_POOL[1]}],
            is_dhcp_enabled=False,
        )
    existing = {f.name for f in conn.compute.flavors(is_public=None)}
    for name, (vcpus, ram, disk) in FLAVORS.items():
        if name not in existing:
            conn.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk, is_public=True)
    _server_image(conn, state)
    project = conn.identity.find_project(LAB_PROJECT)
    conn.compute.update_quota_set(project, **COMPUTE_QUOTAS)
    net.update_quota(project.id, **NETWORK_QUOTAS)


def _server_image(conn: Connection, state: Path) -> None:
    """The labs' image: the server image built by scripts/openstack-image.sh, ``docker save``d
    into Glance (container format ``docker``: the virt driver runs it as a container). An image
    of another build (or of an older bootstrap: a tiny raw stand-in) is replaced."""
    docker_id = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", SERVER_IMAGE],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    image = conn.image.find_image(IMAGE)
    if image is not None and image.properties.get("cloudlab_docker_id") == docker_id:
        return
    if image is not None:
        conn.image.delete_image(image)
    path = state / f"{IMAGE}.tar"
    subprocess.run(["docker", "save", "--output", str(path), SERVER_IMAGE], check=True)
    try:
        conn.create_image(
            IMAGE,
            filename=str(path),
            disk_format="raw",
            container_format="docker",
            visibility="public",
            wait=True,
            timeout=600,
            cloudlab_docker_id=docker_id,
        )
    finally:
        path.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    """``identity`` or ``resources``; secrets come from the state directory."""
    state = Path(os.environ["CLOUDLAB_OPENSTACK_STATE_DIR"])
    secrets = json.loads((state / "secrets.json").read_text())
    conn = connect(secrets)
    started = time.monotonic()
    for phase in argv:
        if phase == "identity":
            identity(conn, secrets)
        elif phase == "resources":
            resources(conn, state)
        else:
            print(f"unknown phase {phase!r}", file=sys.stderr)
            return 2
    print(f"bootstrap {' '.join(argv)}: {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
