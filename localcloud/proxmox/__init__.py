"""A Proxmox VE API on 127.0.0.1 for the Proxmox lab, served by fakepve.

fakepve (PyPI, pinned in requirements-dev.txt) answers like PVE 8/9: every parameter is validated
against PVE's own API schema, with PVE's wording (HTTP 400 with per-field ``errors``), tasks get
real UPIDs and run (holding the container's config lock) before they finish, a missing
container is PVE's 500 "does not exist". It serves what the bridged proxmoxve provider drives
for the fleet (API-token auth, ``/version``, ``cluster/nextid``, LXC create, config GET/PUT,
status current/start/stop/shutdown, interfaces, delete, task status) and what the autonomic
manager reads and does (nodes, their status, migrate).

What this module adds to it:

- the lab's cluster: its nodes, an API token, the container template on ``local``;
- DHCP leases: a container started with ``ip=dhcp`` reports an IPv4 address on its interface,
  as a real one gets from the bridge's DHCP server. The provider waits for an address after each
  start and read (10 s, then a warning); fakepve reports only static ones. Addresses come from
  TEST-NET-2 (198.51.100.0/24, documentation-only: nothing is ever sent to them);
- node memory: fakepve reports zeros in ``/nodes/{node}/status``; here a node has
  ``NODE_MEMORY`` of which ``NODE_BASE_USE`` is the host's own, plus the memory of each running
  container on it (what the autonomic manager's monitor reads);
- tasks that take time: a container's create, migrate and destroy last a few (scaled) Proxmox
  seconds, so a client sees them ``running`` before they stop;
- the description as PVE returns it: it keeps a guest's description as comment lines of the
  config file, so reading it back gives it with a final newline (fakepve returns it as sent,
  and the provider, which expects PVE's form, would then see a change at every refresh);
- a thread with its own event loop, so that a test (or ``python -m localcloud.proxmox``) can
  serve it and look at its model.

Everything listens on 127.0.0.1 only; the certificate is self-signed for 127.0.0.1, and the
clients are given it as their CA (``SSL_CERT_FILE`` for the Go provider, ``verify=`` for
proxmoxer), so TLS is verified, not switched off.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import secrets
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fakepve import FakePve
from fakepve.certs import make_cert
from proxmoxer import ProxmoxAPI

USER = "root@pam"
TOKEN_NAME = "cloudlab"
LEASES = ipaddress.ip_network("198.51.100.0/24")
"""TEST-NET-2: DHCP leases are reported from it; it is never a destination."""
NET_KEY = re.compile(r"net\d+")
MiB = 1024**2
NODE_MEMORY = 16 * 1024 * MiB
NODE_BASE_USE = 1024 * MiB
TASK_SECONDS = {"create": 2, "migrate": 3, "destroy": 1}
"""Proxmox seconds of a container's tasks (scaled by ``time_scale``)."""


class LabPve(FakePve):
    """fakepve with DHCP leases for containers whose interfaces ask for ``ip=dhcp``, and
    descriptions read back as PVE reads them from a config file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leases: dict[tuple[int, str], str] = {}
        """(vmid, interface) -> leased address, kept across restarts as a DHCP server would."""
        self.ct_secs.update(TASK_SECONDS)

    def node_memory_used(self, node: str) -> int:
        """The host's own use plus the memory of the containers running on ``node``."""
        running = [ct for ct in self.cts if ct.node == node and ct.status == "running"]
        return NODE_BASE_USE + sum(int(ct.config.get("memory", 512)) * MiB for ct in running)

    async def synthesise(self, match: Any, method: str, info: Any, user: Any, values: Any) -> Any:
        """fakepve's schema-shaped answer, with the node's real memory in its status."""
        data = await super().synthesise(match, method, info, user, values)
        if method == "GET" and match.template == "/nodes/{node}/status":
            used = self.node_memory_used(values["node"])
            free = NODE_MEMORY - used
            data["memory"] = {"total": NODE_MEMORY, "used": used, "free": free, "available": free}
        return data

    def lease(self, vmid: int, iface: str) -> str:
        """The address leased to a container's interface (the same one every time)."""
        key = (vmid, iface)
        if key not in self.leases:
            hosts = list(LEASES.hosts())
            self.leases[key] = str(hosts[(len(self.leases) + 10) % len(hosts)])
        return self.leases[key]

    async def _lxc_config_get(self, user: str, v: dict[str, Any]) -> Any:  # fakepve's route
        data = await super()._lxc_config_get(user, v)
        text = data.get("description")
        if isinstance(text, str) and text and not text.endswith("\n"):
            data["description"] = text + "\n"
        return data

    async def _lxc_interfaces(self, user: str, v: dict[str, Any]) -> Any:  # fakepve's route
        out = await super()._lxc_interfaces(user, v)
        if not out:
            return out
        ct = self._find_ct(v["node"], v["vmid"])
        dhcp = {}
        for key, value in ct.config.items():
            if NET_KEY.fullmatch(key):
                props = dict(part.split("=", 1) for part in str(value).split(",") if "=" in part)
                if props.get("ip") == "dhcp":
                    dhcp[props.get("name", "eth0")] = self.lease(ct.vmid, props.get("name", "eth0"))
        for item in out:
            address = dhcp.get(item.get("name", ""))
            if address and not item.get("inet"):
                item["inet"] = f"{address}/24"
                item["ip-addresses"].append(
                    {"ip-address-type": "inet", "ip-address": address, "prefix": "24"}
                )
        return out


class LocalProxmox:
    """The lab's Proxmox API, served from a thread; ``url`` is set once :meth:`start` ran."""

    def __init__(
        self,
        nodes: Iterable[str] = ("srv-px1", "srv-px2"),
        templates: Iterable[str] = ("local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",),
        *,
        time_scale: float = 0.01,
    ) -> None:
        self.nodes = tuple(nodes)
        self.templates = tuple(templates)
        self.secret = secrets.token_hex(16)
        self.token = f"{USER}!{TOKEN_NAME}={self.secret}"
        """The API token as PROXMOX_VE_API_TOKEN takes it: ``user@realm!name=secret``."""
        self.pve = LabPve(user=USER, password=secrets.token_hex(16), host="127.0.0.1", port=0)
        self.pve.time_scale = time_scale
        self._dir = tempfile.TemporaryDirectory(prefix="cloudlab-pve-")
        self.cafile = Path(self._dir.name) / "fakepve.crt"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self._seed()

    def _seed(self) -> None:
        pve = self.pve
        pve.nodes.clear()
        for node in self.nodes:
            pve.add_node(node)
        pve.apitokens[f"{USER}!{TOKEN_NAME}"] = self.secret
        for volid in self.templates:
            storage, _, volname = volid.partition(":")
            volumes = pve.storages[storage].setdefault("volumes", {})
            volumes[volname] = {"content": "vztmpl", "format": "tzst", "size": 126 * 1024**2}

    def start(self) -> str:
        """Serve on 127.0.0.1 (a free port); returns the endpoint URL."""
        certfile, keyfile, _ = make_cert(self._dir.name, hosts=("127.0.0.1",))
        assert Path(certfile) == self.cafile, certfile
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self.pve.start(certfile, keyfile))
            except BaseException as error:  # reported to start()'s caller
                errors.append(error)
                started.set()
                return
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="local-proxmox", daemon=True)
        self._thread.start()
        started.wait(30)
        if errors:
            raise RuntimeError(f"the local Proxmox API did not start: {errors[0]}")
        self.url = f"https://127.0.0.1:{self.pve.port}/"
        return self.url

    def stop(self) -> None:
        """Stop serving and remove the certificate."""
        if self._loop is not None and self._thread is not None:
            future = asyncio.run_coroutine_threadsafe(self.pve.stop(), self._loop)
            future.result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop.close()
            self._loop = None
        self._dir.cleanup()

    def provider_env(self) -> dict[str, str]:
        """What the proxmoxve provider (and ``python -m autonomic``) read: the endpoint, the
        token, and the certificate to trust (Go reads SSL_CERT_FILE for its roots)."""
        return {
            "PROXMOX_VE_ENDPOINT": self.url,
            "PROXMOX_VE_API_TOKEN": self.token,
            "SSL_CERT_FILE": str(self.cafile),
        }

    def client(self) -> ProxmoxAPI:
        """A proxmoxer client with the lab's token, verifying the certificate."""
        port = self.pve.port
        user, _, rest = self.token.partition("!")
        name, _, value = rest.partition("=")
        return ProxmoxAPI(
            "127.0.0.1",
            port=port,
            user=user,
            token_name=name,
            token_value=value,
            verify_ssl=str(self.cafile),
            timeout=30,
        )


@contextmanager
def serve(**kwargs: Any) -> Iterator[LocalProxmox]:
    """A started :class:`LocalProxmox`, stopped afterwards."""
    local = LocalProxmox(**kwargs)
    local.start()
    try:
        yield local
    finally:
        local.stop()
