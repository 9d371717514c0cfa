"""The offline stand-ins behind one seam (components.dynamic), and the old paths state needs.

The engine stores each dynamic provider pickled by reference (module path and class name) in
the state; a stack deployed before the move names ``components.docker.<module>`` and
``components.local.command``, and the engine loads those to refresh, update or delete.
"""

from __future__ import annotations

import importlib
import pickle

import pulumi.dynamic as dyn
import pytest

from components.dynamic import base, command
from components.dynamic.docker import commit, container, image, network

PICKLED_BEFORE_THE_MOVE = {
    "components.docker.container": ("ContainerProvider", container),
    "components.docker.network": ("NetworkProvider", network),
    "components.docker.image": ("LocalImageProvider", image),
    "components.docker.commit": ("CommittedImageProvider", commit),
    "components.local.command": ("LocalCommandProvider", command),
}


@pytest.mark.parametrize(("path", "found"), PICKLED_BEFORE_THE_MOVE.items())
def test_a_provider_pickled_under_its_old_path_loads_as_the_new_class(
    path: str, found: tuple[str, object]
) -> None:
    name, module = found
    # Protocol 0's GLOBAL opcode: exactly the by-reference form dill writes for a class.
    loaded = pickle.loads(f"c{path}\n{name}\n.".encode())
    assert loaded is getattr(module, name)
    assert issubclass(loaded, base.HashDiffProvider)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("components.docker.spec", "components.dynamic.base"),
        ("components.docker.client", "components.dynamic.docker.client"),
        ("components.docker.cleanup", "components.dynamic.docker.cleanup"),
        ("components.docker.container", "components.dynamic.docker.container"),
        ("components.local.command", "components.dynamic.command"),
    ],
)
def test_an_old_module_path_is_the_moved_module_itself(old: str, new: str) -> None:
    """The same module object, so every name (private ones, constants) and every patch of it
    is shared."""
    assert importlib.import_module(old) is importlib.import_module(new)


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
