"""The secured calculator topology's routing recipe, with stand-in services
(``python3 -m http.server``): see components/docker/README.md.

Front end F (gateway container, published on 127.0.0.1 only), back end B (internal; operands,
no capabilities), a router with F.1 and B.1 that forwards F->B and masquerades towards B, and a
third network T that must not reach B. Test subnets are free 192.168.160-199 /24s, so a running
stack on the lab's real subnets is not disturbed.
"""

from __future__ import annotations

import time

import pytest

from components.dynamic.docker import (
    ContainerArgs,
    ContainerProvider,
    ForwardRule,
    NetworkArgs,
    NetworkAttachment,
    NetworkProvider,
    PortBinding,
    Route,
)

pytestmark = pytest.mark.docker

OPERANDS = {"sum": 50001, "sub": 50002, "mul": 50003, "div": 50004}


def test_secured_topology_recipe(engine, stack, free_subnets, base_image, helpers):
    front, back, third = free_subnets(), free_subnets(), free_subnets()
    np, cp = NetworkProvider(), ContainerProvider()
    for suffix, subnet, internal in (("front", front, False), ("back", back, True),
                                     ("third", third, False)):  # fmt: skip
        np.create(NetworkArgs(name=f"{stack}-{suffix}", subnet=str(subnet),
                              gateway=str(subnet[254]), internal=internal,
                              stack=stack).to_props())  # fmt: skip
    fnet, bnet, tnet = (f"{stack}-front", f"{stack}-back", f"{stack}-third")

    def run(name, **kw):
        return cp.create(ContainerArgs(name=f"{stack}-{name}", image=base_image, stack=stack,
                                       **kw).to_props())  # fmt: skip

    run("router", command=["sleep", "infinity"], cap_add=["NET_ADMIN"],
        sysctls={"net.ipv4.ip_forward": "1"},
        networks=[NetworkAttachment(fnet, str(front[1])), NetworkAttachment(bnet, str(back[1]))],
        forward=[ForwardRule(str(front), str(back))], masquerade=[str(back)])  # fmt: skip
    ops = {}
    for i, (op, port) in enumerate(OPERANDS.items()):
        ops[op] = str(back[11 + i])
        run(op, command=["python3", "-m", "http.server", str(port)],
            networks=[NetworkAttachment(bnet, ops[op])])  # fmt: skip
    host_port = helpers.free_port()
    run("calculator", command=["python3", "-m", "http.server", "50005"], cap_add=["NET_ADMIN"],
        networks=[NetworkAttachment(fnet, str(front[2]))],
        ports=[PortBinding(container_port=50005, host_port=host_port)],
        routes=[Route(str(back), str(front[1]))])  # fmt: skip
    run("stranger", command=["sleep", "infinity"], networks=[NetworkAttachment(tnet)])

    gw, stranger = f"{stack}-calculator", f"{stack}-stranger"
    urls = {op: f"http://{ops[op]}:{port}/" for op, port in OPERANDS.items()}

    def calculator_reaches_all(tries: int = 20) -> dict[str, str]:
        """Status per operand, retried briefly (a restarted server needs a moment to listen)."""
        for _ in range(tries):
            codes = {op: helpers.http_code(gw, url) for op, url in urls.items()}
            if set(codes.values()) == {"200"}:
                break
            time.sleep(0.5)
        return codes

    def published_answers() -> str:
        return helpers.sh("curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
                          f"http://127.0.0.1:{host_port}/").stdout  # fmt: skip

    everything_ok = dict.fromkeys(OPERANDS, "200")
    assert calculator_reaches_all() == everything_ok
    assert published_answers() == "200"

    # Operands: no capabilities, not privileged, nothing published; they see the router as client.
    for op in OPERANDS:
        hc = engine.containers.get(f"{stack}-{op}").attrs["HostConfig"]
        assert not hc["CapAdd"] and not hc["Privileged"] and not hc["PortBindings"]
    logs = engine.containers.get(f"{stack}-sum").logs().decode()
    assert f"{back[1]} - -" in logs  # masqueraded: the source is the router's back-end address
    # Only the calculator's port is published, and only on loopback.
    assert engine.containers.get(gw).attrs["HostConfig"]["PortBindings"] == {
        "50005/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(host_port)}]
    }

    # A container on another network does not get through. Safety first: the host must route
    # the back end to its own bridge (so the probe cannot leave the machine), where Docker's
    # isolation rules for the internal network drop it.
    route = helpers.sh("ip", "route", "get", ops["sum"]).stdout
    assert " dev br-" in route, route
    assert helpers.http_code(stranger, urls["sum"]) == "000"

    # Restarts: operand, calculator (re-applies its route), router (re-applies forward + NAT).
    for name in ("sum", "calculator", "router"):
        engine.containers.get(f"{stack}-{name}").restart(timeout=2)
        assert calculator_reaches_all() == everything_ok, name
    assert published_answers() == "200"
    # Stop an operand, start it again: the calculator recovers.
    engine.containers.get(f"{stack}-mul").stop(timeout=2)
    assert helpers.http_code(gw, urls["mul"]) == "000"
    engine.containers.get(f"{stack}-mul").start()
    assert calculator_reaches_all() == everything_ok
