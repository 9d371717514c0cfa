"""Every validation rule of cloudlab:calculator, and that a bad config registers nothing."""

from __future__ import annotations

from typing import Any

import pytest

from components.calculator.settings import CalculatorSettings, parse_calculator_settings
from components.errors import ConfigError
from tests.harness import Recording


def test_defaults_are_the_labs_values() -> None:
    s = parse_calculator_settings({})
    assert s == parse_calculator_settings(None)
    assert s.topology == "secured"
    assert (s.frontend_cidr, s.backend_cidr) == ("192.168.210.0/24", "192.168.18.0/24")
    assert (s.router_frontend_ip, s.router_backend_ip) == ("192.168.210.1", "192.168.18.1")
    assert s.frontend_gateway_ip == "192.168.210.254"
    assert s.external_network == "public"
    assert s.public_port == 50005
    assert s.service_ports.items() == [
        ("sum", 50001),
        ("sub", 50002),
        ("mul", 50003),
        ("div", 50004),
    ]
    assert s.allowed_cidrs == ("0.0.0.0/0",)
    assert s.ssh_allowed_cidrs == ()
    assert s.key_pair is None
    assert s.replicas == 1


def test_a_full_config_is_taken_as_given() -> None:
    s = parse_calculator_settings(
        {
            "topology": "flat",
            "frontendCidr": "10.1.0.0/16",
            "backendCidr": "10.2.0.0/24",
            "routerFrontendIp": "10.1.0.1",
            "routerBackendIp": "10.2.0.1",
            "frontendGatewayIp": "10.1.255.254",
            "externalNetwork": "ext",
            "image": "cirros",
            "flavor": "nano",
            "keyPair": "mykey",
            "publicPort": 80,
            "servicePorts": {"sum": 1, "sub": 2, "mul": 3, "div": 4},
            "allowedCidrs": "203.0.113.0/24",
            "sshAllowedCidrs": ["198.51.100.0/24"],
            "replicas": 2,
        }
    )
    assert s == CalculatorSettings(
        topology="flat",
        frontend_cidr="10.1.0.0/16",
        backend_cidr="10.2.0.0/24",
        router_frontend_ip="10.1.0.1",
        router_backend_ip="10.2.0.1",
        frontend_gateway_ip="10.1.255.254",
        external_network="ext",
        image="cirros",
        flavor="nano",
        key_pair="mykey",
        public_port=80,
        service_ports=s.service_ports,
        allowed_cidrs=("203.0.113.0/24",),
        ssh_allowed_cidrs=("198.51.100.0/24",),
        replicas=2,
    )
    assert s.service_ports.items() == [("sum", 1), ("sub", 2), ("mul", 3), ("div", 4)]


def test_frontend_gateway_defaults_to_the_last_host_of_the_front_end() -> None:
    s = parse_calculator_settings({"frontendCidr": "10.0.0.0/28", "routerFrontendIp": "10.0.0.1"})
    assert s.frontend_gateway_ip == "10.0.0.14"


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"topolgy": "flat"}, "cloudlab:calculator.topolgy", "unknown setting"),
    ({"topology": "mesh"}, "cloudlab:calculator.topology", "secured or flat"),
    ({"frontendCidr": "192.168.300.0/24"}, "cloudlab:calculator.frontendCidr", "not an IPv4"),
    ({"frontendCidr": "192.168.210.5/24"}, "cloudlab:calculator.frontendCidr", "192.168.210.0/24"),
    ({"frontendCidr": "fd00::/64"}, "cloudlab:calculator.frontendCidr", "not IPv4"),
    ({"frontendCidr": 42}, "cloudlab:calculator.frontendCidr", "CIDR"),
    ({"backendCidr": "192.168.18.0/30"}, "cloudlab:calculator.backendCidr", "/29"),
    (
        {"backendCidr": "192.168.210.128/25"},
        "cloudlab:calculator.backendCidr",
        "overlaps frontendCidr",
    ),
    (
        {"routerFrontendIp": "192.168.18.1"},
        "cloudlab:calculator.routerFrontendIp",
        "192.168.210.1 to 192.168.210.254",
    ),
    ({"routerBackendIp": "192.168.18.0"}, "cloudlab:calculator.routerBackendIp", "host address"),
    ({"routerBackendIp": "192.168.18.255"}, "cloudlab:calculator.routerBackendIp", "host"),
    ({"routerBackendIp": "router"}, "cloudlab:calculator.routerBackendIp", "not an IPv4"),
    (
        {"frontendGatewayIp": "192.168.210.1"},
        "cloudlab:calculator.frontendGatewayIp",
        "already routerFrontendIp",
    ),
    ({"frontendGatewayIp": "10.0.0.1"}, "cloudlab:calculator.frontendGatewayIp", "frontendCidr"),
    ({"publicPort": 0}, "cloudlab:calculator.publicPort", "1-65535"),
    ({"publicPort": 70000}, "cloudlab:calculator.publicPort", "1-65535"),
    ({"publicPort": "http"}, "cloudlab:calculator.publicPort", "1-65535"),
    ({"publicPort": True}, "cloudlab:calculator.publicPort", "1-65535"),
    ({"servicePorts": {"sum": -1}}, "cloudlab:calculator.servicePorts.sum", "1-65535"),
    ({"servicePorts": {"pow": 1}}, "cloudlab:calculator.servicePorts.pow", "sum, sub, mul, div"),
    ({"servicePorts": [1, 2]}, "cloudlab:calculator.servicePorts", "{sum, sub, mul, div}"),
    (
        {"servicePorts": {"mul": 50001}},
        "cloudlab:calculator.servicePorts.mul",
        "already used by servicePorts.sum",
    ),
    (
        {"servicePorts": {"div": 50005}},
        "cloudlab:calculator.servicePorts.div",
        "already used by publicPort",
    ),
    ({"image": ""}, "cloudlab:calculator.image", "non-empty string"),
    ({"flavor": "  "}, "cloudlab:calculator.flavor", "non-empty string"),
    ({"flavor": None}, "cloudlab:calculator.flavor", "non-empty string"),
    ({"externalNetwork": ""}, "cloudlab:calculator.externalNetwork", "non-empty string"),
    ({"keyPair": 7}, "cloudlab:calculator.keyPair", "non-empty string"),
    ({"allowedCidrs": []}, "cloudlab:calculator.allowedCidrs", "at least one CIDR"),
    ({"allowedCidrs": ["0.0.0.0/0", "x"]}, "cloudlab:calculator.allowedCidrs[1]", "CIDR"),
    ({"allowedCidrs": {"a": 1}}, "cloudlab:calculator.allowedCidrs", "list of CIDRs"),
    ({"sshAllowedCidrs": ["10.0.0.1/8"]}, "cloudlab:calculator.sshAllowedCidrs[0]", "host bits"),
    (
        {"allowedCidrs": ["10.0.0.0/8", "10.0.0.0/8"]},
        "cloudlab:calculator.allowedCidrs[1]",
        "listed twice",
    ),
    ({"publicPort": 22}, "cloudlab:calculator.publicPort", "already used by SSH"),
    ({"servicePorts": {"sum": 22}}, "cloudlab:calculator.servicePorts.sum", "already used by SSH"),
    ({"publicPort": "²"}, "cloudlab:calculator.publicPort", "1-65535"),
    (
        {"replicas": 2, "backendCidr": "192.168.18.0/29"},
        "cloudlab:calculator.replicas",
        "at most 1 replicas there, or a larger backendCidr",
    ),
    (
        {
            "topology": "flat",
            "replicas": 3,
            "frontendCidr": "10.0.0.0/28",
            "routerFrontendIp": "10.0.0.1",
        },
        "cloudlab:calculator.replicas",
        "at most 2 replicas",
    ),
    ({"replicas": 0}, "cloudlab:calculator.replicas", "1-250"),
    ({"replicas": 2.5}, "cloudlab:calculator.replicas", "1-250"),
]


@pytest.mark.parametrize(("raw", "key", "hint"), BAD, ids=[b[1] + ":" + str(b[0]) for b in BAD])
def test_bad_values_name_the_key_and_what_is_valid(raw: dict, key: str, hint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_calculator_settings(raw)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"invalid config {key}: ")
    assert hint in str(caught.value)


def test_the_whole_object_must_be_an_object() -> None:
    with pytest.raises(ConfigError, match="cloudlab:calculator: expected an object"):
        parse_calculator_settings(["secured"])  # type: ignore[arg-type]


def test_flat_topology_ignores_back_end_overlap() -> None:
    s = parse_calculator_settings(
        {"topology": "flat", "backendCidr": "192.168.210.0/24", "routerBackendIp": "192.168.210.1"}
    )
    assert s.topology == "flat"


@pytest.mark.parametrize(("raw", "key", "hint"), BAD[:12])
def test_a_bad_config_registers_no_resource(run_stack, raw: dict, key: str, hint: str) -> None:
    for environment in ("openstack", "local"):
        recording = Recording()
        config = {"cloudlab:calculator": raw, "cloudlab:environment": environment}
        with pytest.raises(ConfigError) as caught:
            run_stack(environment, config, recording)
        assert caught.value.key == key
        assert recording.resources == []
        # The same recording does fill up when the config is good: the check can fail.
        run_stack(environment, {"cloudlab:environment": environment}, recording)
        assert recording.resources
