"""The offline stand-ins behind one seam (components.dynamic).

The engine stores each dynamic provider pickled by reference (module path and class name) in
the state, so the seam's module paths are part of the state's format.
"""

from __future__ import annotations

import pickle

import pulumi.dynamic as dyn

from components.dynamic import base
from components.dynamic.docker import container


def test_new_providers_pickle_under_the_seams_path() -> None:
    dumped = pickle.dumps(container.ContainerProvider)
    assert b"components.dynamic.docker.container" in dumped
    assert pickle.loads(dumped) is container.ContainerProvider


class _Thing(base.HashDiffProvider):
    INPUT_KEYS = ("name", "size", "note")
    REPLACE_KEYS = ("name",)
    DELETE_BEFORE_REPLACE = True


def test_the_base_provider_diffs_input_hashes_by_its_keys() -> None:
    provider = _Thing()
    old = {"name": "a", "size": 1, "note": "x"}
    olds = {"input_hashes": provider.hashes(old)}
    same = provider.diff("id", olds, dict(old))
    assert isinstance(same, dyn.DiffResult)
    assert same.changes is False and same.replaces == []
    update = provider.diff("id", olds, {**old, "size": 2})
    assert update.changes and update.replaces == [] and not update.delete_before_replace
    replace = provider.diff("id", olds, {**old, "name": "b", "note": "y"})
    assert replace.changes and replace.replaces == ["name"] and replace.delete_before_replace


def test_drift_seen_by_read_is_a_change_without_replacement() -> None:
    provider = container.ContainerProvider()
    props = container.ContainerArgs(name="c", image="i", stack="s").to_props()
    olds = {"input_hashes": provider.hashes(props), "status": "exited"}
    d = provider.diff("id", olds, props)
    assert d.changes and d.replaces == []
    d = provider.diff("id", {**olds, "status": "running"}, props)
    assert d.changes is False
