"""The offline stand-ins behind one seam (components.dynamic).

The engine stores each dynamic provider pickled by reference (module path and class name) in
the state, so the seam's module paths are part of the state's format.
"""

from __future__ import annotations

import base64
import pickle

import pulumi.dynamic as dyn
import pytest

from components.dynamic import base
from components.dynamic.docker import container, network


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


def _pickled(module: str, name: str) -> str:
    """A provider pickled by reference under ``module`` (what the state keeps), base64."""
    return base64.b64encode(f"c{module}\n{name}\n.".encode()).decode()


class TestStateWrittenBeforeAMove:
    """State pickled under a module path that no longer exists is rewritten by one update."""

    def props(self) -> dict:
        return container.ContainerArgs(name="c", image="i", stack="s").to_props()

    def olds(self, module: str) -> dict:
        provider = container.ContainerProvider()
        return {
            **self.props(),
            "input_hashes": provider.hashes(self.props()),
            "status": "running",
            "id": "abc",
            base.PROVIDER_KEY: _pickled(module, "ContainerProvider"),
        }

    def test_the_old_path_is_an_update_never_a_replacement(self) -> None:
        d = container.ContainerProvider().diff("id", self.olds("components.docker.container"), {
            **self.props()})  # fmt: skip
        assert d.changes is True and d.replaces == []

    def test_the_current_path_is_no_change(self) -> None:
        olds = self.olds("components.dynamic.docker.container")
        assert container.ContainerProvider().diff("id", olds, self.props()).changes is False

    def test_the_update_keeps_every_output_and_calls_nothing(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def no_docker() -> None:
            raise AssertionError("the rewrite must not touch Docker")

        monkeypatch.setattr(container, "wait_running", no_docker)
        olds = self.olds("components.docker.container")
        result = container.ContainerProvider().update("abc", olds, self.props())
        assert result.outs == {k: v for k, v in olds.items() if k != base.PROVIDER_KEY}

    def test_a_real_change_or_drift_is_more_than_a_move(self) -> None:
        olds = self.olds("components.docker.container")
        provider = container.ContainerProvider()
        assert provider.only_moved(olds, self.props())
        assert not provider.only_moved(olds, {**self.props(), "image": "j"})
        assert not provider.only_moved({**olds, "status": "exited"}, self.props())  # drift

    def test_providers_without_an_update_keep_their_outputs(self) -> None:
        olds = {"id": "n", "input_hashes": {}, base.PROVIDER_KEY: _pickled("x.network", "P")}
        outs = network.NetworkProvider().update("n", olds, {}).outs
        assert outs == {"id": "n", "input_hashes": {}}
