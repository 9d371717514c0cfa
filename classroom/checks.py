"""What the cloud itself says, through openstacksdk: a group's lab as the group's user sees
it, the class's leftovers as the admin sees them, and a calculator's answer where the cloud's
floating IPs route to a bridge of this machine."""

from __future__ import annotations

import ipaddress
import subprocess
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import openstack
from openstack.connection import Connection


def connect_as(credentials: Mapping[str, str]) -> Connection:
    """openstacksdk authenticated as a group's user in its project."""
    return openstack.connect(
        auth_url=credentials["auth_url"],
        username=credentials["username"],
        password=credentials["password"],
        project_name=credentials["project_name"],
        user_domain_id=credentials["user_domain_id"],
        project_domain_id=credentials["project_domain_id"],
        region_name=credentials["region_name"],
        identity_api_version="3",
    )


@dataclass
class LabView:
    """A group's lab as its own user sees it."""

    servers: dict[str, str] = field(default_factory=dict)
    """Server name -> status."""
    floating_ips: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)

    def problems(self, expected_servers: int, prefix: str) -> list[str]:
        mine = {n: s for n, s in self.servers.items() if n.startswith(prefix)}
        found = []
        if len(mine) != expected_servers:
            found.append(f"{len(mine)} of {expected_servers} servers")
        bad = sorted(n for n, s in mine.items() if s != "ACTIVE")
        if bad:
            found.append("not ACTIVE: " + ", ".join(f"{n} ({mine[n]})" for n in bad))
        if not self.floating_ips:
            found.append("no floating IP")
        return found


def lab_view(conn: Connection) -> LabView:
    """Servers, floating IPs and networks of the connection's own project."""
    project = conn.current_project_id
    return LabView(
        servers={s.name: s.status for s in conn.compute.servers()},
        floating_ips=sorted(ip.floating_ip_address for ip in conn.network.ips(project_id=project)),
        networks=sorted(n.name for n in conn.network.networks(project_id=project)),
    )


@dataclass
class Leftovers:
    """What of a class the cloud still holds, as the admin counts it."""

    projects: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    servers: list[str] = field(default_factory=list)
    floating_ips: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.projects or self.users or self.servers or self.floating_ips)

    def __str__(self) -> str:
        parts = [
            f"{kind}: {', '.join(items)}"
            for kind, items in (
                ("projects", self.projects),
                ("users", self.users),
                ("servers", self.servers),
                ("floating IPs", self.floating_ips),
            )
            if items
        ]
        return "; ".join(parts) or "nothing"


def leftovers(admin: Connection, prefix: str, project_ids: Iterable[str] = ()) -> Leftovers:
    """The class's projects and users (named ``<prefix>...``), and every server and floating IP
    of those projects or of ``project_ids`` (projects already deleted may still own some)."""
    projects = [p for p in admin.identity.projects() if p.name.startswith(prefix)]
    ids = {p.id for p in projects} | set(project_ids)
    return Leftovers(
        projects=sorted(p.name for p in projects),
        users=sorted(u.name for u in admin.identity.users() if u.name.startswith(prefix)),
        servers=sorted(
            s.name for s in admin.compute.servers(all_projects=True) if s.project_id in ids
        ),
        floating_ips=sorted(
            ip.floating_ip_address for ip in admin.network.ips() if ip.project_id in ids
        ),
    )


def routes_to_a_bridge(address: str) -> bool:
    """Whether ``address`` is reached through a link of this machine (a bridge of the cloud's)
    rather than a gateway: the driver sends nothing to an address that would leave by the
    default route."""
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    res = subprocess.run(
        ["ip", "route", "get", address], capture_output=True, text=True, check=False
    )
    route = res.stdout.split()
    return res.returncode == 0 and "via" not in route and "dev" in route and "lo" not in route


def ask_calculator(url: str, timeout: float = 5.0) -> str:
    """The calculator's answer to ``(5+6)*2`` (``result = 22`` when it works)."""
    request = urllib.request.Request(url, data=b"(5+6)*2", method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return reply.read().decode().strip()
