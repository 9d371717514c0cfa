"""Arbitrary configs thrown at every stack: each builds, or fails cleanly before registering.

"Cleanly" means a ConfigError (a pulumi.RunError, printed without a traceback) that names a
``cloudlab:`` key, and no resource registered at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from components.errors import ConfigError
from tests.harness import Recording
from tests.strategies import junk

KEYS = [
    "topology",
    "frontendCidr",
    "backendCidr",
    "routerFrontendIp",
    "routerBackendIp",
    "frontendGatewayIp",
    "externalNetwork",
    "image",
    "flavor",
    "keyPair",
    "publicPort",
    "servicePorts",
    "allowedCidrs",
    "sshAllowedCidrs",
    "replicas",
]

octet = st.integers(min_value=0, max_value=255)
address = st.builds(lambda a, b, c, d: f"{a}.{b}.{c}.{d}", octet, octet, octet, octet)
cidr = st.builds(lambda a, p: f"{a}/{p}", address, st.integers(min_value=0, max_value=32))
plausible_cidr = st.sampled_from(
    ["192.168.210.0/24", "192.168.18.0/24", "10.0.0.0/16", "10.0.0.0/24", "172.16.5.0/28"]
)
port = st.one_of(
    st.integers(min_value=-5, max_value=70000), st.sampled_from([22, 80, 50001, 50005])
)


def mostly(valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any]) -> st.SearchStrategy:
    """``valid`` five times out of six: a config must get every key right to build."""
    return st.integers(min_value=0, max_value=5).flatmap(lambda n: invalid if n == 0 else valid)


values: dict[str, st.SearchStrategy[Any]] = {
    "topology": mostly(st.sampled_from(["secured", "flat"]), st.one_of(st.just("mesh"), junk)),
    "frontendCidr": mostly(plausible_cidr, st.one_of(cidr, junk)),
    "backendCidr": mostly(plausible_cidr, st.one_of(cidr, junk)),
    "routerFrontendIp": mostly(st.sampled_from(["192.168.210.1", "10.0.0.1"]), address),
    "routerBackendIp": mostly(st.sampled_from(["192.168.18.1", "10.0.0.1"]), address),
    "frontendGatewayIp": mostly(st.sampled_from(["192.168.210.254", "10.0.0.254"]), junk),
    "externalNetwork": mostly(st.sampled_from(["public", "ext"]), junk),
    "image": mostly(st.sampled_from(["ubuntu_20", "cirros"]), junk),
    "flavor": mostly(st.sampled_from(["nano", "small2"]), junk),
    "keyPair": mostly(st.just("lab"), junk),
    "publicPort": mostly(st.sampled_from([22, 80, 50005, 8080]), st.one_of(port, junk)),
    "servicePorts": mostly(
        st.fixed_dictionaries({}, optional={k: port for k in ("sum", "sub", "mul", "div")}),
        st.one_of(st.fixed_dictionaries({"pow": port}), junk),
    ),
    "allowedCidrs": mostly(
        st.lists(plausible_cidr, min_size=1, max_size=3),
        st.one_of(st.lists(cidr, max_size=3), junk),
    ),
    "sshAllowedCidrs": mostly(
        st.lists(plausible_cidr, max_size=2), st.one_of(st.lists(cidr, max_size=2), junk)
    ),
    "replicas": mostly(st.integers(min_value=1, max_value=3), st.one_of(st.just(0), junk)),
}
known_keys_only = st.fixed_dictionaries({}, optional=values)
# Mostly known keys (where the interesting rules are), now and then a stray one.
calculator_configs = st.builds(
    lambda raw, stray, add: {**raw, "surprise": stray} if add else raw,
    known_keys_only,
    junk,
    st.integers(min_value=0, max_value=9).map(lambda n: n == 0),
)


def check_clean(run_stack, environment: str, raw: dict[str, Any]) -> None:
    recording = Recording()
    config = {"cloudlab:environment": environment, "cloudlab:calculator": raw}
    try:
        run_stack(environment, config, recording)
    except ConfigError as error:
        assert error.key.startswith("cloudlab:calculator"), error.key
        assert str(error).startswith(f"invalid config {error.key}: ")
        assert recording.resources == [], "a resource was registered before the error"
        event(f"rejected: {error.key}")
    else:
        assert recording.resources, "a valid config built nothing"
        event("built")


@pytest.mark.parametrize("environment", ["openstack", "local"])
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(raw=calculator_configs)
def test_arbitrary_configs_build_or_fail_cleanly(run_stack, environment: str, raw: dict) -> None:
    check_clean(run_stack, environment, raw)
