"""The test twins can run beside a user's lab and beside each other: no shared subnet, port or
stack name, and none of the lab's own (Pulumi.dev.yaml's)."""

from __future__ import annotations

import itertools

import yaml

from components.config.local import LocalConfig
from components.settings import load_settings
from tests.engine.pulumi_project import REPO
from tests.engine.twins import ALL, overlaps

DEV = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())["config"]
LAB = DEV["cloudlab:calculator"]


def test_no_twin_uses_the_labs_subnets_or_port() -> None:
    for twin in ALL:
        assert twin.stack != "dev"
        assert not any(
            overlaps(s, lab)
            for s in twin.subnets
            for lab in (LAB["frontendCidr"], LAB["backendCidr"])
        )
        assert twin.public_port != LAB["publicPort"]
        assert twin.public_port not in LAB["servicePorts"].values()


def test_no_two_twins_share_a_subnet_port_or_stack() -> None:
    for a, b in itertools.combinations(ALL, 2):
        assert a.stack != b.stack
        assert a.public_port != b.public_port
        assert not any(overlaps(x, y) for x in a.subnets for y in b.subnets), (a.stack, b.stack)


def test_each_twin_config_is_valid_for_the_dev_stack() -> None:
    """The config each test writes passes the dev stack's own validation."""
    for twin in ALL:
        config = twin.config(DEV)
        raw = {k.split(":", 1)[1]: v for k, v in config.items() if k != "cloudlab:environment"}
        settings = load_settings(LocalConfig, raw, "cloudlab:")
        assert str(settings.calculator.frontend_cidr) == twin.frontend
        assert settings.calculator.public_port == twin.public_port
