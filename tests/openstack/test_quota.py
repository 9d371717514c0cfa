"""The pre-flight quota check (components/openstack/quota.py): what a lab needs, what is free,
and a refusal that names the quota and the numbers before any resource is registered.

The same check runs against a real local OpenStack in tests/localcloud/test_openstack_stack.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

import stacks
from components.calculator.openstack_lab import calculator_footprint
from components.calculator.settings import parse_calculator_settings
from components.openstack.quota import Footprint, Quota, QuotaError, shortfalls
from tests import harness
from tests.harness import Recording, run_program


def run(
    calculator: dict[str, Any] | None = None,
    deployed: dict[str, Any] | None = None,
    recording: Recording | None = None,
) -> Recording:
    config = {"cloudlab:environment": "openstack", "cloudlab:calculator": calculator or {}}

    def program() -> None:
        stacks.dispatch("openstack", pulumi.Config("cloudlab"))

    return run_program(program, config, recording=recording, stack_outputs=deployed)


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, dict[str, Any]]]:
    """The mocked project's quotas, to tighten in a test."""
    limits, network = dict(harness.QUOTA_LIMITS), dict(harness.NETWORK_QUOTA)
    monkeypatch.setattr(harness, "QUOTA_LIMITS", limits)
    monkeypatch.setattr(harness, "NETWORK_QUOTA", network)
    yield {"compute": limits, "network": network}


def test_secured_lab_footprint() -> None:
    settings = parse_calculator_settings({})
    need = calculator_footprint(settings, vcpus=1, ram_mb=1024)
    assert need == Footprint(
        instances=5,
        cores=5,
        ram=5120,
        floating_ips=1,
        networks=2,
        subnets=2,
        routers=2,
        # five VM ports, three router legs, one DHCP port per subnet
        ports=10,
        security_groups=5,
        # one 50005 rule, one rule per operand group; egress: the calculator to the four
        # operand ports, each VM to the metadata service (Neutron's defaults dropped)
        security_group_rules=5 + (4 + 1) + 4 * 1,
    )


def test_flat_lab_with_replicas_and_ssh() -> None:
    settings = parse_calculator_settings(
        {"topology": "flat", "replicas": 2, "sshAllowedCidrs": ["198.51.100.0/24"]}
    )
    need = calculator_footprint(settings, vcpus=2, ram_mb=512, extra_vms=1)
    assert (need.instances, need.cores, need.ram) == (10, 20, 5120)
    assert (need.networks, need.routers, need.ports) == (1, 1, 10 + 1 + 1)
    assert need.security_group_rules == (1 + 1) + 4 * (1 + 1) + (4 + 1) + 4 * 1


def test_what_the_stack_holds_is_not_counted_twice() -> None:
    need = Footprint(instances=5)
    full = {"instances": Quota(limit=5, used=5)}
    assert shortfalls(need, Footprint(), full) == [
        "instances: the lab needs 5, the project may have 5 and 5 are used by others, so 0 are free"
    ]
    assert shortfalls(need, Footprint(instances=5), full) == []


def test_unlimited_and_unreported_usage() -> None:
    need = Footprint(routers=3, ports=1000)
    quotas = {"routers": Quota(limit=2), "ports": Quota(limit=-1, used=10**6)}
    assert shortfalls(need, Footprint(), quotas) == [
        "routers: the lab needs 3, the project's limit is 2"
    ]


def test_a_stack_output_of_another_shape_holds_nothing() -> None:
    assert Footprint.from_output("junk") == Footprint()
    assert Footprint.from_output({"instances": 2, "ram": -1, "cores": True, "x": 1}) == Footprint(
        instances=2
    )


def test_the_lab_exports_its_footprint() -> None:
    rec = run()
    assert rec.exports["quotaFootprint"]["instances"] == 5
    assert rec.exports["quotaFootprint"]["floating_ips"] == 1


def test_a_lab_over_quota_fails_before_anything_is_registered(
    cloud: dict[str, dict[str, Any]],
) -> None:
    cloud["compute"].update(maxTotalInstances=10, totalInstancesUsed=8)
    cloud["network"].update(floatingip=0)
    recording = Recording()
    with pytest.raises(QuotaError) as caught:
        run(recording=recording)
    message = str(caught.value)
    assert "project lab" in message
    assert "instances: the lab needs 5, the project may have 10 and 8 are used" in message
    assert "floating_ips: the lab needs 1, the project's limit is 0" in message
    assert recording.resources == []


def test_a_member_is_checked_against_the_limits_alone(
    cloud: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nova keeps usage (``getLimitsV2``) for admins: a student's lab is checked against the
    project's limits, read with ``getQuotaSetV2``."""
    monkeypatch.setattr(harness, "AUTH_ROLES", ["member"])
    cloud["compute"].update(maxTotalInstances=10, totalInstancesUsed=8)
    rec = run()  # 8 used would not leave room for 5, but a member cannot know it
    tokens = [token for token, _ in rec.calls]
    assert "openstack:compute/getQuotaSetV2:getQuotaSetV2" in tokens
    assert "openstack:compute/getLimitsV2:getLimitsV2" not in tokens
    cloud["compute"].update(maxTotalInstances=3)
    with pytest.raises(QuotaError, match="instances: the lab needs 5, the project's limit is 3"):
        run()


def test_a_second_update_of_a_lab_that_fits_exactly_passes(
    cloud: dict[str, dict[str, Any]],
) -> None:
    cloud["compute"].update(maxTotalInstances=5, totalInstancesUsed=5, totalCoresUsed=5)
    with pytest.raises(QuotaError):
        run()
    held = Footprint(instances=5, cores=5, ram=5120).as_output()
    rec = run(deployed={"quotaFootprint": held})
    assert len([r for r in rec.resources if r.typ == "openstack:compute/instance:Instance"]) == 5


def test_a_flavor_the_cloud_lacks_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_flavor(args: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError(f"Your query returned no results: {args['name']}")

    logged: list[str] = []
    monkeypatch.setitem(harness.CLOUD_ANSWERS, "openstack:compute/getFlavor:getFlavor", no_flavor)
    monkeypatch.setattr(pulumi.log, "error", lambda message, *a, **k: logged.append(message))
    recording = Recording()
    # The failed invoke fails the run in the provider's words; the key is logged before it.
    with pytest.raises(RuntimeError, match="no results: huge"):
        run({"flavor": "huge"}, recording=recording)
    assert logged == [
        "invalid config cloudlab:calculator.flavor: cannot read flavor 'huge' from the cloud "
        "(Your query returned no results: huge) (valid: a flavor of `openstack flavor list`, "
        "and credentials that reach the cloud)"
    ]
    assert recording.resources == []
