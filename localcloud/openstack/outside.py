"""The "outside" of the local cloud: a network namespace on the public network, a student's laptop.

One veth pair: one end is a port of ``br-ex`` (in the namespace where the cloud's ovs-vswitchd
runs), the other is the namespace's only interface, with one address of the public network and no
default route. Whatever is sent from it can reach the cloud's public addresses (floating IPs,
routers' gateways) and nothing else: no packet for a lab address can leave the machine.
"""

import ipaddress
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from localcloud.openstack import ovs
from localcloud.openstack.layout import Layout

CURL_EXPRESSION = "(5+6)*2"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


@dataclass(frozen=True)
class Outside:
    """A namespace on the public network; ``create()`` it, ``run()`` in it, ``delete()`` it."""

    name: str = "cloudlab-outside"
    address: str = "100.64.24.5"
    layout: Layout | None = None

    @property
    def _host_end(self) -> str:
        return f"{self.name[:10]}-br"

    def create(self) -> "Outside":
        """Make the namespace and plug it into br-ex (an old one of the same name is replaced)."""
        self.delete()
        layout = self.layout or Layout.default()
        prefix = ipaddress.ip_network(ovs.PUBLIC_CIDR).prefixlen
        inner = "eth0"
        _ip("netns", "add", self.name)
        _ip("link", "add", self._host_end, "type", "veth", "peer", "name", f"{self.name[:10]}-in")
        _ip("link", "set", f"{self.name[:10]}-in", "netns", self.name)
        self.run(["ip", "link", "set", f"{self.name[:10]}-in", "name", inner])
        for argv in (
            ["ip", "link", "set", "lo", "up"],
            ["ip", "addr", "add", f"{self.address}/{prefix}", "dev", inner],
            ["ip", "link", "set", inner, "up"],
            # the userspace datapath needs complete checksums (no offload on a veth it reads)
            ["ethtool", "-K", inner, "tx", "off"],
        ):
            self.run(argv)
        subprocess.run(
            ["ethtool", "-K", self._host_end, "tx", "off"], check=True, capture_output=True
        )
        _ip("link", "set", self._host_end, "up")
        ovs.vsctl(layout, "--may-exist", "add-port", ovs.EXTERNAL_BRIDGE, self._host_end)
        return self

    def delete(self) -> None:
        """Remove the namespace, its veth and its br-ex port (nothing if absent)."""
        layout = self.layout or Layout.default()
        if ovs.db_socket(layout).exists():
            ovs.vsctl(
                layout, "--if-exists", "del-port", ovs.EXTERNAL_BRIDGE, self._host_end, check=False
            )
        _ip("link", "del", self._host_end, check=False)
        _ip("netns", "del", self.name, check=False)

    def run(
        self, argv: Sequence[str], timeout: float = 60, check: bool = True
    ) -> subprocess.CompletedProcess:
        """Run ``argv`` inside the namespace."""
        return subprocess.run(
            ["ip", "netns", "exec", self.name, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def route_dev(self, address: str) -> str:
        """The device the namespace would send ``address`` through ('' if unroutable)."""
        result = self.run(["ip", "route", "get", address], check=False)
        words = result.stdout.split()
        return words[words.index("dev") + 1] if "dev" in words else ""

    def post(self, address: str, port: int, body: str = CURL_EXPRESSION, timeout: float = 10):
        """``curl -d BODY -X POST http://ADDRESS:PORT`` from the namespace (after checking its
        route is the namespace's own interface); the completed process."""
        dev = self.route_dev(address)
        if dev != "eth0":
            raise RuntimeError(f"{address} does not route through the outside's eth0 ({dev!r})")
        return self.run(
            ["curl", "-sS", "--max-time", str(timeout), "-d", body, "-X", "POST",
             f"http://{address}:{port}"],
            timeout=timeout + 10,
            check=False,
        )  # fmt: skip
