"""The roster (``cloudlab:classroom``): group ids, uniqueness, per-group overrides, margins,
and the quotas sized from the lab's footprint."""

from __future__ import annotations

from typing import Any

import pytest

from classroom.roster import group_configs, load_class
from components.calculator.openstack_lab import calculator_footprint
from components.calculator.settings import CalculatorSettings
from components.classroom.quotas import PROJECT_BASELINE, group_quotas, sized
from components.errors import ConfigError
from components.openstack.quota import Footprint


def load(classroom: Any, calculator: dict[str, Any] | None = None) -> Any:
    config: dict[str, Any] = {"cloudlab:classroom": classroom}
    if calculator is not None:
        config["cloudlab:calculator"] = calculator
    return load_class(config)


def test_a_roster_loads_with_defaults_and_titles() -> None:
    cfg = load({"groups": [{"id": "g01", "name": "Group 1"}, {"id": "team-b"}]})
    assert [g.id for g in cfg.classroom.groups] == ["g01", "team-b"]
    assert [g.title for g in cfg.classroom.groups] == ["Group 1", "team-b"]
    assert cfg.classroom.quota_margin == 1.5
    assert cfg.classroom.project_name(cfg.classroom.groups[0]) == "class-g01"


@pytest.mark.parametrize(
    ("groups", "key", "words"),
    [
        ([{"id": "G01"}], "cloudlab:classroom.groups[0].id", "'G01' is not a valid group id"),
        ([{"id": "1a"}], "cloudlab:classroom.groups[0].id", "not a valid group id"),
        ([{"id": "g_1"}], "cloudlab:classroom.groups[0].id", "not a valid group id"),
        ([{"id": "g-"}], "cloudlab:classroom.groups[0].id", "not a valid group id"),
        ([{"id": "g" * 21}], "cloudlab:classroom.groups[0].id", "longer than 20"),
        (
            [{"id": "g1"}, {"id": "g2"}, {"id": "g1"}],
            "cloudlab:classroom.groups[2].id",
            "also the id of groups[0]",
        ),
        ([], "cloudlab:classroom.groups", "the roster is empty"),
        ([{"name": "x"}], "cloudlab:classroom.groups[0].id", "missing"),
        (
            [{"id": "g1", "quotaMargin": 0.5}],
            "cloudlab:classroom.groups[0].quotaMargin",
            "expected a quota margin",
        ),
        ([{"id": "g1", "colour": "red"}], "cloudlab:classroom.groups[0].colour", "unknown"),
        (
            [{"id": "g1", "calculator": {"replicas": 0}}],
            "cloudlab:classroom.groups[0].calculator.replicas",
            "expected a whole number",
        ),
        (
            [{"id": "g1", "calculator": {"replica": 2}}],
            "cloudlab:classroom.groups[0].calculator.replica",
            "unknown calculator setting",
        ),
        (
            [{"id": "g1", "calculator": {"topology": "mesh"}}],
            "cloudlab:classroom.groups[0].calculator.topology",
            "unknown topology",
        ),
    ],
)
def test_a_bad_roster_names_the_key(groups: list[Any], key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load({"groups": groups})
    assert caught.value.key == key
    assert words in str(caught.value)


def test_no_roster_at_all_names_the_groups_key() -> None:
    with pytest.raises(ConfigError) as caught:
        load_class({})
    assert caught.value.key == "cloudlab:classroom.groups"


def test_a_group_override_changes_its_lab_alone() -> None:
    cfg = load(
        {"groups": [{"id": "g1"}, {"id": "g2", "calculator": {"replicas": 2}}]},
        {"topology": "flat", "flavor": "small2"},
    )
    configs = group_configs(cfg, "organization/cloudlab/classroom")
    assert configs["g1"]["cloudlab:calculator"].get("replicas") is None
    assert configs["g2"]["cloudlab:calculator"]["replicas"] == 2
    assert configs["g2"]["cloudlab:calculator"]["topology"] == "flat"
    assert configs["g2"]["cloudlab:group"] == {
        "id": "g2",
        "classroomStack": "organization/cloudlab/classroom",
    }
    assert configs["g2"]["cloudlab:environment"] == "openstack"
    assert configs["g2"]["pulumi:disable-default-providers"] == ["openstack"]


def test_quotas_are_the_preflight_footprint_times_the_margin_plus_the_default_group() -> None:
    lab = CalculatorSettings(topology="flat")
    need = calculator_footprint(lab, 2, 4096)
    quotas = group_quotas(lab, 2, 4096, 1.5)
    for name, value in need.as_output().items():
        expected = -(-value * 3 // 2) + getattr(PROJECT_BASELINE, name)
        assert quotas.as_output()[name] == expected, name
    assert quotas.instances == 8 and quotas.cores == 15 and quotas.floating_ips == 2


def test_a_margin_of_one_is_the_exact_footprint_plus_the_default_group() -> None:
    need = Footprint(instances=5, cores=5, ram=5120, security_groups=5, security_group_rules=20)
    quotas = sized(need, 1.0)
    assert quotas.instances == 5 and quotas.ram == 5120
    assert quotas.security_groups == 6 and quotas.security_group_rules == 24
