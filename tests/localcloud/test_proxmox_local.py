"""The local Proxmox API (localcloud.proxmox, fakepve) behaves as Proxmox does for what the
proxmoxve provider and the autonomic manager call, checked through proxmoxer over HTTPS with the
certificate verified: API-token auth, ``cluster/nextid``, LXC create / config / start / stop /
shutdown / migrate / delete as tasks whose UPIDs run then finish, a DHCP lease on a started
container's interface, a 400 naming the bad parameter, a 500 "does not exist" for a missing
container. No engine needed.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from proxmoxer import ProxmoxAPI, ResourceException

from localcloud.proxmox import LEASES, NODE_MEMORY, LocalProxmox, serve

TEMPLATE = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"


@pytest.fixture(scope="module")
def local() -> Iterator[LocalProxmox]:
    with serve() as started:
        yield started


@pytest.fixture(scope="module")
def api(local: LocalProxmox) -> ProxmoxAPI:
    return local.client()


def wait(api: ProxmoxAPI, node: str, upid: str, timeout: float = 30) -> dict[str, Any]:
    """Poll a task until it stops; returns its final status."""
    assert upid.startswith(f"UPID:{node}:"), upid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = api.nodes(node).tasks(upid).status.get()
        if status["status"] == "stopped":
            return status
        time.sleep(0.05)
    pytest.fail(f"task {upid} still running after {timeout} s")


def create(api: ProxmoxAPI, node: str, vmid: int, **extra: Any) -> dict[str, Any]:
    upid = api.nodes(node).lxc.post(
        vmid=vmid,
        ostemplate=TEMPLATE,
        hostname=f"ct{vmid}",
        memory=512,
        rootfs="local-lvm:4",
        net0="name=eth0,bridge=vmbr0,ip=dhcp",
        unprivileged=1,
        **extra,
    )
    return wait(api, node, upid)


def test_only_the_token_is_let_in(local: LocalProxmox) -> None:
    url = f"{local.url}api2/json/nodes"
    anonymous = requests.get(url, verify=str(local.cafile), timeout=10)
    assert anonymous.status_code == 401
    user, _, rest = local.token.partition("!")
    name, _, _ = rest.partition("=")
    wrong = {"Authorization": f"PVEAPIToken={user}!{name}=not-the-secret"}
    assert requests.get(url, headers=wrong, verify=str(local.cafile), timeout=10).status_code == 401
    right = {"Authorization": f"PVEAPIToken={local.token}"}
    nodes = requests.get(url, headers=right, verify=str(local.cafile), timeout=10)
    assert nodes.status_code == 200
    assert sorted(n["node"] for n in nodes.json()["data"]) == ["srv-px1", "srv-px2"]


def test_container_lifecycle_runs_as_tasks(api: ProxmoxAPI) -> None:
    vmid = int(api.cluster.nextid.get())
    assert vmid >= 100
    assert create(api, "srv-px1", vmid)["exitstatus"] == "OK"
    assert int(api.cluster.nextid.get()) != vmid, "nextid handed out a used id"
    conf = api.nodes("srv-px1").lxc(vmid).config.get()
    assert (conf["hostname"], int(conf["memory"])) == (f"ct{vmid}", 512)
    assert conf["rootfs"].startswith(f"local-lvm:vm-{vmid}-disk-0,size=4G")

    api.nodes("srv-px1").lxc(vmid).config.put(memory=1024, description="lab")
    conf = api.nodes("srv-px1").lxc(vmid).config.get()
    assert int(conf["memory"]) == 1024
    assert conf["description"] == "lab\n", "PVE reads a description back with a newline"

    ct = api.nodes("srv-px1").lxc(vmid)
    assert wait(api, "srv-px1", ct.status.start.post())["exitstatus"] == "OK"
    assert ct.status.current.get()["status"] == "running"
    (lease,) = [
        a["ip-address"]
        for i in ct.interfaces.get()
        if i["name"] == "eth0"
        for a in i["ip-addresses"]
    ]
    assert ipaddress.ip_address(lease) in LEASES

    assert wait(api, "srv-px1", ct.status.shutdown.post(timeout=10))["exitstatus"] == "OK"
    assert ct.status.current.get()["status"] == "stopped"
    moved = api.nodes("srv-px1").lxc(vmid).migrate.post(target="srv-px2")
    assert wait(api, "srv-px1", moved)["exitstatus"] == "OK"
    assert vmid in [int(c["vmid"]) for c in api.nodes("srv-px2").lxc.get()]
    assert wait(api, "srv-px2", api.nodes("srv-px2").lxc(vmid).delete())["exitstatus"] == "OK"
    with pytest.raises(ResourceException) as gone:
        api.nodes("srv-px2").lxc(vmid).status.current.get()
    assert gone.value.status_code == 500
    assert "does not exist" in str(gone.value)


def test_bad_input_is_a_400_naming_the_parameter(api: ProxmoxAPI) -> None:
    with pytest.raises(ResourceException) as bad:
        api.nodes("srv-px1").lxc.post(vmid=4299, ostemplate=TEMPLATE, memory="lots")
    assert bad.value.status_code == 400
    assert "memory" in str(bad.value)
    with pytest.raises(ResourceException) as bad_net:
        api.nodes("srv-px1").lxc.post(vmid=4299, ostemplate=TEMPLATE, net0="bridge=vmbr0,ip=nope")
    assert bad_net.value.status_code == 400
    assert "net0" in str(bad_net.value)
    assert 4299 not in [int(c["vmid"]) for c in api.nodes("srv-px1").lxc.get()]


def test_a_running_container_cannot_be_deleted(api: ProxmoxAPI) -> None:
    vmid = int(api.cluster.nextid.get())
    create(api, "srv-px2", vmid)
    ct = api.nodes("srv-px2").lxc(vmid)
    wait(api, "srv-px2", ct.status.start.post())
    with pytest.raises(ResourceException) as refused:
        ct.delete()
    assert refused.value.status_code == 500
    assert "container is running" in str(refused.value)
    assert ct.status.current.get()["status"] == "running"
    wait(api, "srv-px2", ct.status.stop.post())
    assert wait(api, "srv-px2", ct.delete())["exitstatus"] == "OK"


def test_node_memory_counts_running_containers(api: ProxmoxAPI) -> None:
    """What the autonomic manager's monitor reads: a node's memory use grows by a container's
    memory while it runs."""

    def used() -> int:
        memory = api.nodes("srv-px1").status.get()["memory"]
        assert memory["total"] == NODE_MEMORY
        assert memory["free"] == memory["total"] - memory["used"]
        return int(memory["used"])

    idle = used()
    vmid = int(api.cluster.nextid.get())
    create(api, "srv-px1", vmid)
    assert used() == idle, "a stopped container holds no memory"
    ct = api.nodes("srv-px1").lxc(vmid)
    wait(api, "srv-px1", ct.status.start.post())
    assert used() == idle + 512 * 1024**2
    wait(api, "srv-px1", ct.status.stop.post())
    assert used() == idle
    wait(api, "srv-px1", ct.delete())


def test_tasks_are_seen_running_before_they_stop(api: ProxmoxAPI) -> None:
    vmid = int(api.cluster.nextid.get())
    upid = api.nodes("srv-px2").lxc.post(
        vmid=vmid, ostemplate=TEMPLATE, memory=256, rootfs="local-lvm:2"
    )
    assert api.nodes("srv-px2").tasks(upid).status.get()["status"] == "running"
    assert wait(api, "srv-px2", upid)["exitstatus"] == "OK"
    wait(api, "srv-px2", api.nodes("srv-px2").lxc(vmid).delete())
