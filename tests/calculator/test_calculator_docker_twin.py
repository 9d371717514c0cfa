"""CalculatorTwin under Pulumi mocks: the Docker twin of the calculator lab, resource by
resource, in both topologies (the real thing runs in tests/engine/test_dev_stack.py)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from components.errors import ConfigError
from tests.harness import Recording

NETWORK = "pulumi-python:dynamic/cloudlab/docker:Network"
CONTAINER = "pulumi-python:dynamic/cloudlab/docker:Container"
IMAGE = "pulumi-python:dynamic/cloudlab/docker:LocalImage"
OPERANDS = {"sum": 50001, "sub": 50002, "mul": 50003, "div": 50004}


def local(**calculator: Any) -> dict[str, Any]:
    return {
        "cloudlab:environment": "local",
        "cloudlab:calculator": calculator,
        "cloudlab:docker": {"baseImage": "cloudlab/base:bookworm"},
    }


def containers(rec: Recording) -> dict[str, dict[str, Any]]:
    return {r.name.removeprefix("calc-"): r.inputs for r in rec.of_type(CONTAINER)}


@pytest.fixture
def secured(run_stack) -> Recording:
    return run_stack("dev", local())


def test_one_image_built_from_the_services_with_the_configured_base(secured: Recording) -> None:
    (image,) = secured.of_type(IMAGE)
    assert image.inputs["context"].endswith("/services")
    assert image.inputs["build_args"] == {"BASE_IMAGE": "cloudlab/base:bookworm"}
    assert len(image.inputs["context_hash"]) == 64
    # Every container runs that image by its name (what `docker ps` shows), and carries its id
    # in a label: a rebuilt image (new id) replaces them.
    assert image.inputs["name"] == "cloudlab/calculator" and image.inputs["tag"] == "test"
    for container in secured.of_type(CONTAINER):
        assert container.inputs["image"] == "cloudlab/calculator:test", container.name
        assert container.inputs["labels"] == {"cloudlab.image-id": "sha256:calc-image"}
        assert image.urn in container.dependencies, container.name


def test_two_networks_with_the_lab_cidrs_back_end_internal(secured: Recording) -> None:
    nets = {r.name: r.inputs for r in secured.of_type(NETWORK)}
    assert nets["calc-frontend"]["subnet"] == "192.168.210.0/24"
    assert nets["calc-frontend"]["gateway"] == "192.168.210.254"  # the edge router's place
    assert nets["calc-frontend"]["internal"] is False
    assert nets["calc-backend"]["subnet"] == "192.168.18.0/24"
    assert nets["calc-backend"]["internal"] is True
    assert nets["calc-backend"]["gateway"] not in ("192.168.18.1",)  # the router's address


def test_router_holds_both_router_addresses_and_forwards_front_to_back(secured: Recording) -> None:
    router = containers(secured)["router"]
    assert {(a["network"], a["ipv4_address"]) for a in router["networks"]} == {
        ("calc-test-frontend", "192.168.210.1"),
        ("calc-test-backend", "192.168.18.1"),
    }
    assert router["sysctls"] == {"net.ipv4.ip_forward": "1"}
    assert router["cap_add"] == ["NET_ADMIN"]
    assert router["forward"] == [{"source": "192.168.210.0/24", "destination": "192.168.18.0/24"}]
    assert router["ports"] == []


def test_operands_on_the_back_end_unpublished_without_capabilities(secured: Recording) -> None:
    found = containers(secured)
    for op, port in OPERANDS.items():
        c = found[op]
        assert c["command"] == [op, "--port", str(port)]
        assert [a["network"] for a in c["networks"]] == ["calc-test-backend"]
        assert c["networks"][0]["ipv4_address"].startswith("192.168.18.")
        assert c["ports"] == [] and c["cap_add"] == [] and c["routes"] == []


def test_calculator_published_on_loopback_with_its_declared_route(secured: Recording) -> None:
    calc = containers(secured)["calculator"]
    assert calc["ports"] == [
        {"container_port": 50005, "host_port": 50005, "host_ip": "127.0.0.1", "protocol": "tcp"}
    ]
    assert calc["routes"] == [{"destination": "192.168.18.0/24", "via": "192.168.210.1"}]
    assert calc["cap_add"] == ["NET_ADMIN"]
    ips = secured.exports["privateIps"]
    urls = [f"http://{ips[op]}:{port}" for op, port in OPERANDS.items()]
    assert calc["command"][:3] == ["calculator", "--port", "50005"]
    assert calc["command"][3:] == [
        x for op, url in zip(OPERANDS, urls, strict=True) for x in (f"--{op}", url)
    ]
    # Created in parallel with the router (the route needs the next hop's network, not the
    # router itself): the twin's first `up` does not wait for one container to settle first.
    router = secured.named("calc-router").urn
    assert router not in secured.named("calc-calculator").dependencies


def test_outputs_and_parents(secured: Recording) -> None:
    assert secured.exports["calculatorUrl"] == "http://127.0.0.1:50005"
    assert secured.exports["floatingIp"] == "127.0.0.1"
    assert secured.exports["topology"] == "secured"
    for r in secured:
        if r.typ in (NETWORK, CONTAINER, IMAGE):
            assert r.parent_type == "cloudlab:docker:CalculatorTwin", r.name
            assert r.name.startswith("calc-")
            assert r.inputs["stack"] == "test"


def test_flat_topology_one_network_no_router(run_stack) -> None:
    rec = run_stack("dev", local(topology="flat"))
    assert [r.name for r in rec.of_type(NETWORK)] == ["calc-frontend"]
    found = containers(rec)
    assert "router" not in found
    assert {a["network"] for c in found.values() for a in c["networks"]} == {"calc-test-frontend"}
    assert found["calculator"]["routes"] == [] and found["calculator"]["cap_add"] == []
    assert sum(bool(c["ports"]) for c in found.values()) == 1


def test_replicas_get_their_own_containers_and_addresses(run_stack) -> None:
    rec = run_stack("dev", local(replicas=2))
    found = containers(rec)
    assert {"sum-1", "sum-2", "div-2"} <= set(found)
    addresses = [c["networks"][0]["ipv4_address"] for k, c in found.items() if k != "router"]
    assert len(addresses) == len(set(addresses))


def test_a_lab_that_does_not_fit_its_subnet_registers_nothing(run_stack) -> None:
    recording = Recording()
    with pytest.raises(ConfigError) as caught:
        run_stack("dev", local(backendCidr="192.168.18.0/28", replicas=4), recording)
    assert caught.value.key == "cloudlab:calculator.replicas"
    assert "at most 3 replicas there, or a larger backendCidr" in str(caught.value)
    assert recording.resources == []


@pytest.mark.parametrize(
    "config",
    [
        {"backendCidr": "192.168.18.0/28", "replicas": 3},
        {"backendCidr": "192.168.18.0/29", "replicas": 1},
        {"topology": "flat", "frontendCidr": "10.0.0.0/28", "routerFrontendIp": "10.0.0.1",
         "replicas": 2},
    ],
)  # fmt: skip
def test_the_twin_fits_wherever_the_capacity_rule_says_the_vms_do(run_stack, config) -> None:
    # One capacity rule (the settings model's) for the VMs and the containers: the twin takes
    # addresses below .11 when its network is too small to start there.
    rec = run_stack("dev", local(**config))
    found = containers(rec)
    addresses = [a["ipv4_address"] for c in found.values() for a in c["networks"]]
    assert len(addresses) == len(set(addresses))
    net = ipaddress.ip_network(config.get("backendCidr", config.get("frontendCidr")))
    operands = [k for k in found if k not in ("router", "calculator")]
    assert len(operands) == 4 * config["replicas"]
    assert all(
        ipaddress.ip_address(found[k]["networks"][0]["ipv4_address"]) in net for k in operands
    )


def test_cloud_only_settings_and_a_public_publish_host_are_warned_about(
    run_stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pulumi

    seen: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: seen.append(message))
    run_stack("dev", local())
    assert seen == []
    config = local(flavor="nano", sshAllowedCidrs=["10.0.0.0/8"])
    config["cloudlab:docker"]["publishHost"] = "0.0.0.0"
    run_stack("dev", config)
    assert len(seen) == 2
    assert "cloudlab:calculator.flavor, cloudlab:calculator.sshAllowedCidrs" in seen[0]
    assert "reachable from other machines" in seen[1]
