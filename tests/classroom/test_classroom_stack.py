"""The classroom stack under mocks: per group a project, a user with the generated password,
the member role on that project alone, and quotas sized from the lab's footprint; the
credentials exported as a secret. And a group stack: its lab runs through the group's own
provider, read from the classroom stack, with the group's id in every name."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

import stacks
from components.calculator.openstack_lab import calculator_footprint
from components.calculator.settings import CalculatorSettings
from components.classroom.quotas import sized
from components.errors import ConfigError
from tests.harness import Recording, RecordingMocks, run_program

PROJECT = "openstack:identity/project:Project"
USER = "openstack:identity/user:User"
ROLE = "openstack:identity/roleAssignment:RoleAssignment"
COMPUTE_QUOTA = "openstack:compute/quotaSetV2:QuotaSetV2"
NETWORK_QUOTA = "openstack:networking/quotaV2:QuotaV2"
PASSWORD = "pulumi-python:dynamic:Resource"
PROVIDER = "pulumi:providers:openstack"
ROSTER = {
    "quotaMargin": 2,
    "groups": [
        {"id": "g01", "name": "Group 1"},
        {"id": "g02", "calculator": {"replicas": 2}, "quotaMargin": 1},
    ],
}


def run_classroom(roster: dict[str, Any] = ROSTER, recording: Recording | None = None) -> Recording:
    config = {
        "cloudlab:environment": "classroom",
        "cloudlab:classroom": roster,
        "cloudlab:calculator": {"topology": "flat"},
    }
    return run_program(
        lambda: stacks.dispatch("classroom", pulumi.Config("cloudlab")),
        config,
        recording=recording,
    )


def test_every_group_gets_a_project_a_user_and_the_member_role_on_it() -> None:
    rec = run_classroom()
    assert sorted(p.inputs["name"] for p in rec.of_type(PROJECT)) == ["class-g01", "class-g02"]
    users = {u.inputs["name"]: u for u in rec.of_type(USER)}
    assert sorted(users) == ["class-g01", "class-g02"]
    assert users["class-g01"].inputs["defaultProjectId"] == "group-g01-project-id"
    roles = rec.of_type(ROLE)
    assert sorted((r.inputs["projectId"], r.inputs["userId"]) for r in roles) == [
        ("group-g01-project-id", "group-g01-user-id"),
        ("group-g02-project-id", "group-g02-user-id"),
    ]
    assert {r.inputs["roleId"] for r in roles} == {"member-id"}
    assert len(rec.of_type(PASSWORD)) == 2


def test_quotas_are_each_groups_footprint_with_its_margin() -> None:
    rec = run_classroom()
    compute = {q.inputs["projectId"]: q.inputs for q in rec.of_type(COMPUTE_QUOTA)}
    network = {q.inputs["projectId"]: q.inputs for q in rec.of_type(NETWORK_QUOTA)}
    # the mocked flavor: 1 vCPU, 1024 MiB
    g1 = sized(calculator_footprint(CalculatorSettings(topology="flat"), 1, 1024), 2)
    g2 = sized(calculator_footprint(CalculatorSettings(topology="flat", replicas=2), 1, 1024), 1)
    for project, want in (("group-g01-project-id", g1), ("group-g02-project-id", g2)):
        assert compute[project]["instances"] == want.instances
        assert compute[project]["cores"] == want.cores
        assert compute[project]["ram"] == want.ram
        assert network[project]["floatingip"] == want.floating_ips
        assert network[project]["port"] == want.ports
        assert network[project]["securityGroupRule"] == want.security_group_rules
    assert compute["group-g01-project-id"]["instances"] == 10  # 5 VMs x 2
    assert compute["group-g02-project-id"]["instances"] == 9  # 9 VMs x 1
    assert rec.exports["quotas"]["g02"]["instances"] == 9


def test_the_credentials_are_a_secret_export() -> None:
    rec = run_classroom()
    assert "groups" in rec.secret_exports
    creds = rec.exports["groups"]["g01"]
    assert creds["username"] == creds["project_name"] == "class-g01"
    assert creds["auth_url"] == "http://127.0.0.1:5000/v3"
    assert "projects" not in rec.secret_exports
    assert rec.exports["projects"] == {"g01": "group-g01-project-id", "g02": "group-g02-project-id"}


def test_a_bad_roster_registers_nothing() -> None:
    rec = Recording()
    with pytest.raises(ConfigError, match=r"cloudlab:classroom.groups\[1\].id"):
        run_classroom({"groups": [{"id": "g1"}, {"id": "g1"}]}, rec)
    assert not [r for r in rec.resources if r.typ != "pulumi:pulumi:Stack"]


# --- a group's stack -------------------------------------------------------------------------

CREDENTIALS = {
    "auth_url": "http://127.0.0.1:5000/v3",
    "username": "class-g01",
    "password": "s3cretS3cret",
    "project_name": "class-g01",
    "project_id": "p1",
    "user_domain_id": "default",
    "project_domain_id": "default",
    "region_name": "RegionOne",
}


class ClassroomMocks(RecordingMocks):
    """The mocked cloud, and a classroom stack whose ``groups`` output holds g01's account."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            assert args.inputs["name"] == "organization/cloudlab/classroom"
            return args.name, {**args.inputs, "outputs": {"groups": {"g01": CREDENTIALS}}}
        return super().new_resource(args)


def run_group(group: str = "g01", recording: Recording | None = None) -> Recording:
    config = {
        "cloudlab:environment": "openstack",
        "cloudlab:calculator": {"topology": "flat"},
        "cloudlab:group": {"id": group},
    }
    return run_program(
        lambda: stacks.dispatch("openstack", pulumi.Config("cloudlab")),
        config,
        recording=recording,
        mocks_class=ClassroomMocks,
    )


def test_a_group_lab_runs_with_the_group_provider_and_names_carry_its_id() -> None:
    rec = run_group()
    providers = rec.of_type(PROVIDER)
    assert len(providers) == 1
    inputs = providers[0].inputs
    assert inputs["userName"] == "class-g01" and inputs["tenantName"] == "class-g01"
    assert inputs["authUrl"] == "http://127.0.0.1:5000/v3"
    servers = [r for r in rec.resources if r.typ == "openstack:compute/instance:Instance"]
    assert len(servers) == 5
    assert all(s.inputs["name"].startswith("calc-g01-") for s in servers)
    named = [
        r.inputs["name"]
        for r in rec.resources
        if r.typ.startswith("openstack:") and "name" in r.inputs
    ]
    assert named and all(n.startswith("calc-g01") for n in named)
    assert rec.exports["calculatorUrl"].startswith("http://203.0.113.")


def test_a_group_missing_from_the_classroom_stack_fails_naming_it() -> None:
    with pytest.raises(Exception, match="no credentials for group 'g09'"):
        run_group("g09")
