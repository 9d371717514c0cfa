"""Pure helpers: labels, hashes, diff decisions, props conversion (no engine)."""

from __future__ import annotations

import dataclasses

import pytest

from components.dynamic.base import (
    STACK_LABEL,
    changed_keys,
    decide,
    input_hashes,
    stack_labels,
    to_props,
    value_hash,
)


def test_stack_labels_add_the_stack_and_keep_the_callers():
    labels = stack_labels("dev", {"role": "router"})
    assert labels[STACK_LABEL] == "dev"
    assert labels["role"] == "router"
    with pytest.raises(ValueError):
        stack_labels("")


def test_value_hash_ignores_key_order_but_not_values():
    assert value_hash({"a": 1, "b": [1, 2]}) == value_hash({"b": [1, 2], "a": 1})
    assert value_hash({"a": 1}) != value_hash({"a": "1"})
    assert value_hash([1, 2]) != value_hash([2, 1])


def test_changed_keys_counts_missing_keys():
    old = input_hashes({"a": 1, "b": 2}, ["a", "b"])
    new = input_hashes({"a": 1, "b": 3, "c": 0}, ["a", "b", "c"])
    assert changed_keys(old, new) == ["b", "c"]
    assert changed_keys(old, old) == []


def test_decide_replace_update_none_and_drift():
    old = input_hashes({"image": "x", "timeout": 1}, ["image", "timeout"])
    same = decide(old, old, ["image"], delete_before_replace=True)
    assert (same.changes, same.replaces, same.delete_before_replace) == (False, [], False)

    img = decide(old, input_hashes({"image": "y", "timeout": 1}, ["image", "timeout"]), ["image"],
                 delete_before_replace=True)  # fmt: skip
    assert (img.changes, img.replaces, img.delete_before_replace) == (True, ["image"], True)

    upd = decide(old, input_hashes({"image": "x", "timeout": 2}, ["image", "timeout"]), ["image"],
                 delete_before_replace=True)  # fmt: skip
    assert (upd.changes, upd.replaces, upd.delete_before_replace) == (True, [], False)

    drift = decide(old, old, ["image"], delete_before_replace=True, drift=True)
    assert (drift.changes, drift.replaces) == (True, [])


@dataclasses.dataclass
class _Inner:
    x: object


@dataclasses.dataclass
class _Outer:
    items: list
    inner: _Inner
    opt: object = None


def test_to_props_converts_nested_dataclasses_without_copying_values():
    marker = object()  # stands for a pulumi Output: must pass through untouched
    props = to_props(_Outer(items=[_Inner(marker)], inner=_Inner({"k": marker})))
    assert props == {"items": [{"x": marker}], "inner": {"x": {"k": marker}}, "opt": None}
    assert props["items"][0]["x"] is marker
