"""The one adapter from a pydantic validation error to ConfigError (components/settings.py),
on small models of its own: the full key path, what is valid, which error comes first."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import model_validator

from components.errors import ConfigError
from components.settings import (
    CidrList,
    ConfigModel,
    EnvironmentConfig,
    Int,
    invalid,
    load_config,
    load_settings,
    required,
)


class Leg(ConfigModel):
    unknown_key: ClassVar[str] = "unknown leg setting"
    object_hint: ClassVar[str | None] = "{hostPort, guestPort}"

    host_port: Int(1, 65535, "a port") = 2222
    guest_port: int = 22


class Lab(ConfigModel):
    vm_name: str = "vm"
    sources: CidrList(unique=True) = ()
    legs: tuple[Leg, ...] = ()
    leg: Leg = Leg()
    owner: str = required("who runs the lab, e.g. g07", "required: the owner")

    @model_validator(mode="after")
    def _no_self_forward(self) -> Lab:
        if self.leg.host_port == self.leg.guest_port:
            raise invalid("forwards a port to itself", "two different ports", "leg.guestPort")
        return self


def error_of(raw: Any, model: type[ConfigModel] = Lab, root: str = "cloudlab:lab") -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_settings(model, raw, root)
    return caught.value


def test_a_valid_object_is_read_by_its_camel_case_keys() -> None:
    lab = load_settings(Lab, {"vmName": "a", "owner": "g07", "leg": {"hostPort": "80"}}, "k")
    assert (lab.vm_name, lab.owner, lab.leg.host_port, lab.leg.guest_port) == ("a", "g07", 80, 22)


def test_python_names_are_unknown_keys_in_config() -> None:
    error = error_of({"vm_name": "a", "owner": "g07"})
    assert error.key == "cloudlab:lab.vm_name"
    assert str(error) == (
        "invalid config cloudlab:lab.vm_name: unknown setting "
        "(valid: vmName, sources, legs, leg, owner)"
    )
    assert error_of({"owner": "g07", "leg": {"host_port": 1}}).key == "cloudlab:lab.leg.host_port"
    # Python code may still build a model by attribute name.
    assert Lab(vm_name="a", owner="g07") == load_settings(Lab, {"vmName": "a", "owner": "g07"}, "k")


def test_an_unknown_key_is_reported_first_with_its_own_models_keys() -> None:
    error = error_of({"owner": "g07", "vmName": 3, "leg": {"hostPrt": 1}})
    assert error.key == "cloudlab:lab.leg.hostPrt"
    assert error.problem == "unknown leg setting"
    assert error.valid == "hostPort, guestPort"


def test_list_items_and_model_rules_name_their_place() -> None:
    error = error_of({"owner": "g07", "sources": ["10.0.0.0/8", "10.0.0.0/8"]})
    assert (error.key, error.problem) == ("cloudlab:lab.sources[1]", "10.0.0.0/8 is listed twice")
    assert error_of({"owner": "g07", "legs": [{}, {"hostPort": 0}]}).key == (
        "cloudlab:lab.legs[1].hostPort"
    )
    error = error_of({"owner": "g07", "legs": [{"hostPrt": 1}]})
    assert (error.key, error.problem) == ("cloudlab:lab.legs[0].hostPrt", "unknown leg setting")
    error = error_of({"owner": "g07", "leg": {"hostPort": 22}})
    assert str(error) == (
        "invalid config cloudlab:lab.leg.guestPort: forwards a port to itself "
        "(valid: two different ports)"
    )


def test_not_an_object_names_what_is_expected() -> None:
    assert str(error_of(["a"])) == (
        "invalid config cloudlab:lab: expected an object, got ['a'] "
        "(valid: vmName, sources, legs, leg, owner)"
    )
    error = error_of({"owner": "g07", "leg": 5})
    assert (error.key, error.valid) == ("cloudlab:lab.leg", "{hostPort, guestPort}")


def test_a_missing_required_key_says_what_to_give() -> None:
    assert str(error_of({})) == (
        "invalid config cloudlab:lab.owner: required: the owner (valid: who runs the lab, e.g. g07)"
    )


def test_pydantics_own_errors_still_name_the_key() -> None:
    error = error_of({"owner": "g07", "leg": {"guestPort": "twenty-two"}})
    assert error.key == "cloudlab:lab.leg.guestPort"
    assert "twenty-two" in error.problem


class Env(EnvironmentConfig):
    text_keys: ClassVar[tuple[str, ...]] = ("path",)
    secret_keys: ClassVar[tuple[str, ...]] = ("token",)

    lab: Lab
    path: str | None = None
    token: Any = None


class FakeConfig:
    """The part of pulumi.Config that load_config uses, recording how each key is read."""

    name = "cloudlab"

    def __init__(self, values: dict[str, Any]) -> None:
        self.values, self.reads = values, []

    def get(self, key: str) -> Any:
        self.reads.append(("text", key))
        return self.values.get(key)

    def get_object(self, key: str) -> Any:
        self.reads.append(("object", key))
        return self.values.get(key)

    def get_secret(self, key: str) -> Any:
        self.reads.append(("secret", key))
        return self.values.get(key)


def test_an_environment_reads_each_key_its_way_and_names_it_under_the_namespace() -> None:
    config = FakeConfig({"lab": {"owner": "g07"}, "path": "~/x", "token": "s"})
    env = load_config(Env, config)  # type: ignore[arg-type]
    assert (env.lab.owner, env.path, env.token) == ("g07", "~/x", "s")
    assert config.reads == [("object", "lab"), ("text", "path"), ("secret", "token")]
    with pytest.raises(ConfigError) as caught:
        load_config(Env, FakeConfig({"lab": {"owner": "g07", "colour": 1}}))  # type: ignore[arg-type]
    assert caught.value.key == "cloudlab:lab.colour"
    with pytest.raises(ConfigError) as caught:
        load_config(Env, FakeConfig({}))  # type: ignore[arg-type]
    assert str(caught.value) == "invalid config cloudlab:lab: missing"
