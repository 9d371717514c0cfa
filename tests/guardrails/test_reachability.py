"""Proof of the secured topology on the real twin (real engine, real Docker).

- from the host: only 127.0.0.1:<publicPort> answers; no operand port is published and
  127.0.0.1:<operand port> refuses;
- from "outside" (a container on a third Docker network the test creates): nothing of the lab
  answers while the twin is published on 127.0.0.1 (neither the host's end of its own network,
  nor the calculator's or the operands' addresses); once the twin's "floating IP" is the host's
  address on that network (publishHost, like a floating IP on the external network), outside
  reaches the calculator there, and still none of the operand services;
- from the calculator (docker exec): all four operands answer.

Probes are bounded (2-5 s) and go only to 127.0.0.1 or to containers/networks created here.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import docker
import pytest

from tests.guardrails.twin import (
    OPERAND_PORTS,
    OUTSIDE,
    PUBLIC_PORT,
    STACK,
    URL,
    Twin,
    container_name,
    post,
    wait_answer,
)

pytestmark = [pytest.mark.engine, pytest.mark.docker]

OUTSIDE_HOST_IP = "192.168.243.1"  # the host's end of the "outside" bridge
OUTSIDE_PROBE_IP = "192.168.243.10"
PROBE = """
import socket, sys, urllib.request
def tcp(host, port, timeout):
    s = socket.socket(); s.settimeout(timeout)
    try:
        s.connect((host, port)); return "open"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return type(e).__name__
    finally:
        s.close()
targets = [t.split(":") for t in sys.argv[1:]]
for host, port in targets:
    print(f"{host}:{port}={tcp(host, int(port), 2.0)}")
"""
POST = """
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode())
print(urllib.request.urlopen(req, timeout=5).read().decode(), end="")
"""


def tcp_from_host(port: int) -> str:
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        return "open"
    except TimeoutError:
        return "timeout"
    except OSError as error:
        return type(error).__name__
    finally:
        s.close()


@pytest.fixture(scope="module")
def outside(twin: Twin) -> Iterator[docker.models.containers.Container]:
    """A container on a third network, labelled with the stack (cleanup removes it)."""
    client = twin.client
    labels = {"cloudlab.stack": STACK}
    ipam = docker.types.IPAMConfig(
        pool_configs=[docker.types.IPAMPool(subnet=OUTSIDE, gateway=OUTSIDE_HOST_IP)]
    )
    network = client.networks.create(f"{STACK}-outside", ipam=ipam, labels=labels)
    image = twin.client.containers.get(container_name("calculator")).image
    probe = client.containers.create(
        image.id,
        entrypoint=["sleep"],
        command=["infinity"],
        name=f"{STACK}-outside-probe",
        labels=labels,
        network=network.name,
    )
    try:
        probe.start()
        yield probe
    finally:
        probe.remove(force=True)
        network.remove()


def probe_from(container: docker.models.containers.Container, *targets: str) -> dict[str, str]:
    code, out = container.exec_run(["python3", "-c", PROBE, *targets])
    assert code == 0, out
    return dict(line.split("=", 1) for line in out.decode().split())


def test_from_the_host_only_the_public_port_answers(twin: Twin) -> None:
    assert post(URL, "(5+6)*2") == (200, "result = 22\r\n")
    published = {
        c.name: c.attrs["HostConfig"].get("PortBindings") or {}
        for c in twin.client.containers.list(all=True, filters={"label": f"cloudlab.stack={STACK}"})
        if c.name.startswith(f"calc-{STACK}-")
    }
    assert published.pop(container_name("calculator")) == {
        f"{PUBLIC_PORT}/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(PUBLIC_PORT)}]
    }
    assert set(published) == {container_name(r) for r in ("router", *OPERAND_PORTS)}
    assert all(bindings == {} for bindings in published.values())
    for port in OPERAND_PORTS.values():
        assert tcp_from_host(port) == "ConnectionRefusedError", port


def test_the_calculator_reaches_all_four_operands(twin: Twin) -> None:
    expected = {"sum": "11", "sub": "-1", "mul": "30", "div": "0.8333333333333334"}
    for op, port in OPERAND_PORTS.items():
        url = f"http://{twin.private_ips[op]}:{port}/"
        code = POST.replace("sys.argv[1]", repr(url)).replace("sys.argv[2]", repr("5 6"))
        assert twin.exec("calculator", code) == expected[op] + "\r\n", op


def test_outside_reaches_nothing_while_published_on_loopback(
    twin: Twin, outside: docker.models.containers.Container
) -> None:
    ips = twin.private_ips
    targets = [f"{OUTSIDE_HOST_IP}:{PUBLIC_PORT}", f"{ips['calculator']}:{PUBLIC_PORT}"]
    targets += [f"{ips[op]}:{port}" for op, port in OPERAND_PORTS.items()]
    targets += [f"{OUTSIDE_HOST_IP}:{port}" for port in OPERAND_PORTS.values()]
    found = probe_from(outside, *targets)
    assert "open" not in found.values(), found


def test_outside_reaches_the_calculator_on_its_floating_ip_and_no_operand(
    twin: Twin, outside: docker.models.containers.Container
) -> None:
    """publishHost = the host's address on the outside network: the twin's floating IP."""
    twin.configure(publish_host=OUTSIDE_HOST_IP)
    try:
        twin.up()
        public = f"http://{OUTSIDE_HOST_IP}:{PUBLIC_PORT}/"
        code, out = outside.exec_run(["python3", "-c", POST, public, "(5+6)*2"])
        assert (code, out.decode()) == (0, "result = 22\r\n")
        ips = twin.private_ips
        targets = [f"{ips[op]}:{port}" for op, port in OPERAND_PORTS.items()]
        targets += [f"{OUTSIDE_HOST_IP}:{port}" for port in OPERAND_PORTS.values()]
        found = probe_from(outside, *targets)
        assert "open" not in found.values(), found
    finally:
        twin.configure()
        twin.up()
    wait_answer(URL, "(5+6)*2", "result = 22\r\n")
