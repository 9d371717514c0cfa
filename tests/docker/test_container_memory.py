"""The container's memory limit: validated, a replacement when changed, and absent from states
written before it existed without replacing their containers (no engine needed: diff only)."""

from __future__ import annotations

from components.dynamic.base import input_hashes
from components.dynamic.docker.container import (
    INPUT_KEYS,
    ContainerArgs,
    ContainerProvider,
    validate,
)


def props(**changes):
    return {**ContainerArgs(name="c", image="img", stack="s").to_props(), **changes}


def test_a_state_from_before_the_limit_is_not_replaced() -> None:
    old_keys = tuple(k for k in INPUT_KEYS if k != "memory")
    olds = {"input_hashes": input_hashes(props(), old_keys), "status": "running"}
    assert ContainerProvider().diff("id", olds, props()).changes is False
    d = ContainerProvider().diff("id", olds, props(memory=1 << 30))
    assert d.replaces == ["memory"] and d.delete_before_replace


def test_a_changed_limit_replaces_the_container() -> None:
    olds = {"input_hashes": input_hashes(props(memory=1 << 30), INPUT_KEYS), "status": "running"}
    assert ContainerProvider().diff("id", olds, props(memory=1 << 30)).changes is False
    assert ContainerProvider().diff("id", olds, props(memory=2 << 30)).replaces == ["memory"]


def test_a_limit_below_dockers_minimum_is_refused() -> None:
    assert validate(props(memory=1 << 30)) == []
    assert [k for k, _ in validate(props(memory=1024))] == ["memory"]
    assert [k for k, _ in validate(props(memory=True))] == ["memory"]
