"""The twin as a docker-compose file (components/calculator/compose.py) describes the same
containers as CalculatorTwin under mocks: names, addresses, commands, routing, published port."""

from __future__ import annotations

from typing import Any

import pytest

from components.calculator.compose import compose_file
from components.calculator.settings import parse_calculator_settings
from components.dynamic.docker.routing import routing_env
from tests.calculator.test_calculator_docker_twin import CONTAINER, local
from tests.harness import Recording

IMAGE = "cloudlab/calculator:compose"


def twin_containers(rec: Recording) -> dict[str, dict[str, Any]]:
    return {r.name.removeprefix("calc-"): r.inputs for r in rec.of_type(CONTAINER)}


def addresses(service: dict[str, Any]) -> set[tuple[str, str]]:
    return {(net, attach["ipv4_address"]) for net, attach in service["networks"].items()}


@pytest.mark.parametrize(
    "calculator",
    [{}, {"replicas": 2}, {"topology": "flat"}],
    ids=["secured", "secured-2-replicas", "flat"],
)
def test_same_containers_addresses_and_commands_as_the_twin(run_stack, calculator) -> None:
    rec = run_stack("dev", local(**calculator))
    twin = twin_containers(rec)
    compose = compose_file(parse_calculator_settings(calculator), IMAGE)
    services = compose["services"]
    assert set(services) == set(twin)
    for name, service in services.items():
        assert service["image"] == IMAGE
        ips = {attach["ipv4_address"] for attach in twin[name]["networks"]}
        assert {ip for _, ip in addresses(service)} == ips, name
        command = service["command"]
        if command[:3] == ["python3", "-m", "services"]:
            command = command[3:]  # the prelude replaced the image's entrypoint
        if name != "router":
            assert command == twin[name]["command"], name
    calc = services["calculator"]
    assert calc["ports"] == ["127.0.0.1:50005:50005"]


def test_secured_routing_matches_the_twin(run_stack) -> None:
    rec = run_stack("dev", local())
    twin = twin_containers(rec)
    services = compose_file(parse_calculator_settings({}), IMAGE)["services"]
    router, calc = services["router"], services["calculator"]
    assert router["sysctls"] == {"net.ipv4.ip_forward": "1"} == twin["router"]["sysctls"]
    expected_router = routing_env(
        {"forward": twin["router"]["forward"], "masquerade": twin["router"]["masquerade"]}
    )
    assert {k: v for k, v in router["environment"].items() if k != "CLOUDLAB_RUN_AS"} == (
        expected_router
    )
    assert (
        calc["environment"]["CLOUDLAB_ROUTES"] == routing_env(twin["calculator"])["CLOUDLAB_ROUTES"]
    )
    # Compose would interpolate the prelude's own ${...}: each is escaped.
    assert "$${CLOUDLAB_ROUTES:-}" in calc["entrypoint"][2]
    back = compose_file(parse_calculator_settings({}), IMAGE)["networks"]["back"]
    assert back["internal"] is True
