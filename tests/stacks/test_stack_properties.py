"""Arbitrary configs thrown at the other stacks: each builds, or fails cleanly before anything
is registered (tests/stacks/test_config_properties.py does the calculator's stacks).

Each example starts from the stack's own ``Pulumi.<stack>.yaml`` and breaks it: one setting
replaced by junk or by another setting's value, a stray key, or a whole object replaced.
"Cleanly" means a ConfigError (or Pulumi's own ConfigTypeError) naming a ``cloudlab:`` key,
and no resource registered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pulumi.config import ConfigTypeError

import stacks
from components.errors import ConfigError
from tests.harness import Recording, RecordingMocks, run_program
from tests.kubernetes.k8s_support import K8sMocks
from tests.strategies import junk

REPO = Path(__file__).resolve().parents[2]
KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n"


def base_config(stack: str) -> dict[str, Any]:
    """The stack file's config, plus what a user must add to make it build here."""
    config = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"]
    if stack == "kubernetes":
        config["cloudlab:kubernetes"]["apiAllowedCidrs"] = ["203.0.113.7/32"]
    if stack == "k8s-workload":
        del config["cloudlab:kubeconfigPath"]
        config["cloudlab:kubeconfig"] = KUBECONFIG
    return config


STACKS = ["dockerlab", "virtualbox", "proxmox", "kubernetes", "k8s-workload"]
MOCKS: dict[str, type[RecordingMocks]] = {"kubernetes": K8sMocks, "k8s-workload": K8sMocks}


def leaves(value: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths to every setting below an object (lists count as settings)."""
    if isinstance(value, dict) and value:
        return [p for k, v in value.items() for p in leaves(v, (*path, k))]
    return [path]


def set_path(value: dict[str, Any], path: tuple[str, ...], new: Any) -> None:
    for key in path[:-1]:
        value = value[key]
    value[path[-1]] = new


@st.composite
def broken(draw: st.DrawFn, stack: str) -> dict[str, Any]:
    config = base_config(stack)
    objects = sorted(k for k, v in config.items() if isinstance(v, dict))
    top = draw(st.sampled_from(objects))
    how = draw(st.sampled_from(["junk", "swap", "stray", "whole"]))
    paths = [p for p in leaves(config[top]) if p]
    if not paths and how in ("junk", "swap"):  # an empty object: nothing to replace inside
        how = "stray"
    if how == "whole":
        config[top] = draw(junk)
    elif how == "stray":
        config[top][draw(st.sampled_from(["surprise", "Image", "node"]))] = draw(junk)
    else:
        path = draw(st.sampled_from(paths))
        other = draw(st.sampled_from(paths))
        new = draw(junk) if how == "junk" else json.loads(json.dumps(_get(config[top], other)))
        set_path(config[top], path, new)
    return config


def _get(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def run(stack: str, config: dict[str, Any], recording: Recording) -> None:
    def program() -> None:
        cfg = pulumi.Config("cloudlab")
        stacks.dispatch(cfg.get("environment") or stack, cfg)

    run_program(program, config, recording=recording, mocks_class=MOCKS.get(stack))


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_file_itself_builds(stack: str) -> None:
    recording = Recording()
    run(stack, base_config(stack), recording)
    assert recording.resources


@pytest.mark.parametrize("stack", STACKS)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_broken_configs_build_or_fail_cleanly(stack: str, data: st.DataObject) -> None:
    config = data.draw(broken(stack))
    recording = Recording()
    try:
        run(stack, config, recording)
    except ConfigError as error:
        assert error.key.startswith("cloudlab:"), error.key
        assert str(error).startswith(f"invalid config {error.key}: ")
        assert recording.resources == [], "a resource was registered before the error"
        event(f"rejected: {error.key.split('.')[0]}")
    except ConfigTypeError as error:  # Pulumi's own: a value of the wrong JSON type
        assert "cloudlab:" in str(error)
        assert recording.resources == []
        event("rejected by pulumi.Config")
    else:
        assert recording.resources, "a config that builds registered nothing"
        event("built")
