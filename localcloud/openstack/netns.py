"""What Neutron's agents leave outside the cloud's process groups, found and removed at ``down``.

The L3 and DHCP agents create network namespaces (``qrouter-<router>``, ``qdhcp-<network>``) and
the DHCP agent starts one dnsmasq per network, which daemonizes into a session of its own. Only
ours are touched: namespaces named after a router or network of this cloud's database, dnsmasq
processes whose command line holds this cloud's state directory.
"""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from localcloud.openstack import databases
from localcloud.openstack.layout import Layout

PREFIXES = ("qrouter-", "qdhcp-")


def neutron_ids(layout: Layout) -> set[str]:
    """The IDs of this cloud's routers and networks (empty if the database does not answer)."""
    try:
        rows = databases.sql(
            layout, "SELECT id FROM neutron.routers UNION SELECT id FROM neutron.networks"
        )
    except RuntimeError:
        return set()
    return {line.strip() for line in rows.splitlines() if line.strip()}


def namespaces(ids: set[str]) -> list[str]:
    """The agents' namespaces (of the given routers and networks) that exist now."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    names = [line.split()[0] for line in listed.splitlines() if line.strip()]
    return [n for n in names if n.startswith(PREFIXES) and n.split("-", 1)[1] in ids]


def helper_pids(layout: Layout) -> list[int]:
    """dnsmasq (and haproxy) processes started by this cloud's agents."""
    state = str(layout.state)
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        program = cmdline.split(" ", 1)[0].rsplit("/", 1)[-1]
        if program in ("dnsmasq", "haproxy") and state in cmdline:
            pids.append(int(entry.name))
    return pids


def clean(layout: Layout, ids: set[str]) -> None:
    """Stop the agents' helpers and delete their namespaces (after the agents have stopped)."""
    pids = helper_pids(layout)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for name in namespaces(ids):
        subprocess.run(["ip", "netns", "delete", name], capture_output=True, check=False)
