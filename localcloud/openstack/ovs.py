"""Open vSwitch for the local cloud's data plane: Debian's ovsdb-server and ovs-vswitchd, run as
the cloud's own processes with their database, sockets and logs in the state directory.

There is no ``openvswitch`` kernel module here, so every bridge uses the userspace datapath
(``datapath_type=netdev``): ovs-vswitchd forwards the packets itself (veths through AF_PACKET,
internal ports as tap devices). The external bridge ``br-ex`` carries the network ``public``; its
own port holds the public network's gateway address, so the host (or the netns the cloud runs in)
stands outside the cloud, on that network, as a student's laptop does.
"""

import os
import subprocess
from pathlib import Path

from localcloud.openstack.layout import Layout

OVSDB_SERVER = "/usr/sbin/ovsdb-server"
OVS_VSWITCHD = "/usr/sbin/ovs-vswitchd"
OVS_VSCTL = "/usr/bin/ovs-vsctl"
SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
EXTERNAL_BRIDGE = "br-ex"
INTEGRATION_BRIDGE = "br-int"
# The external network: a range nothing on this machine uses (Docker allocates its networks from
# 172.17-31.x and 192.168.x, the labs use 192.168.x, Kubernetes 10.x; this is RFC 6598 space).
PUBLIC_CIDR = "100.64.24.0/24"
PUBLIC_GATEWAY = "100.64.24.1"
PUBLIC_POOL = ("100.64.24.10", "100.64.24.250")


def run_dir(layout: Layout) -> Path:
    """ovsdb-server's socket, the daemons' control sockets and PID files."""
    return layout.run / "ovs"


def db_path(layout: Layout) -> Path:
    """The Open_vSwitch database file."""
    return layout.state / "ovs" / "conf.db"


def env(layout: Layout) -> dict[str, str]:
    """Points OVS's own tools (ovs-vsctl, ovs-ofctl, ovs-appctl) at this cloud's daemons."""
    return {
        "OVS_RUNDIR": str(run_dir(layout)),
        "OVS_DBDIR": str(db_path(layout).parent),
        "OVS_LOGDIR": str(layout.logs),
        "OVS_SYSCONFDIR": str(layout.state / "ovs"),
    }


def db_socket(layout: Layout) -> Path:
    """ovsdb-server's unix socket (the agents' ``ovsdb_connection``)."""
    return run_dir(layout) / "db.sock"


def init_db(layout: Layout) -> None:
    """Create the OVS database once (kept with the state, like MariaDB's)."""
    path = db_path(layout)
    run_dir(layout).mkdir(parents=True, exist_ok=True)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ovsdb-tool", "create", str(path), str(SCHEMA)], check=True)


def vsctl(layout: Layout, *args: str, check: bool = True) -> str:
    """Run ovs-vsctl against this cloud's ovsdb-server; returns its output."""
    result = subprocess.run(
        [OVS_VSCTL, f"--db=unix:{db_socket(layout)}", "--timeout=30", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env(layout)},
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"ovs-vsctl {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def vswitchd_ready(layout: Layout) -> bool:
    """Whether ovs-vswitchd has connected to the database and configured itself."""
    return bool(vsctl(layout, "get", "Open_vSwitch", ".", "cur_cfg", check=False).strip())


def setup_external_bridge(layout: Layout) -> None:
    """br-ex on the userspace datapath, with the public network's gateway address, up."""
    vsctl(layout, "--no-wait", "init")
    vsctl(
        layout,
        "--may-exist",
        "add-br",
        EXTERNAL_BRIDGE,
        "--",
        "set",
        "bridge",
        EXTERNAL_BRIDGE,
        "datapath_type=netdev",
    )
    prefix = PUBLIC_CIDR.split("/")[1]
    address = f"{PUBLIC_GATEWAY}/{prefix}"
    shown = subprocess.run(
        ["ip", "-o", "addr", "show", "dev", EXTERNAL_BRIDGE], capture_output=True, text=True
    ).stdout
    if address not in shown:
        subprocess.run(["ip", "addr", "add", address, "dev", EXTERNAL_BRIDGE], check=True)
    subprocess.run(["ip", "link", "set", EXTERNAL_BRIDGE, "up"], check=True)
