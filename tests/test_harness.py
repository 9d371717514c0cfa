"""The mock harness itself: each run has its own exports, secrets are told apart, errors
propagate, and registrations are waited for."""

from __future__ import annotations

import pulumi
import pytest

from tests.harness import Recording, run_program


def test_exports_are_resolved_and_secrets_marked() -> None:
    def program() -> None:
        pulumi.export("plain", pulumi.Output.from_input("a").apply(lambda v: v + "b"))
        pulumi.export("secret", pulumi.Output.secret("s"))

    recording = run_program(program)
    assert recording.exports == {"plain": "ab", "secret": "s"}
    assert recording.secret_exports == {"secret"}


def test_each_run_has_its_own_exports() -> None:
    run_program(lambda: pulumi.export("first", 1))
    assert run_program(lambda: pulumi.export("second", 2)).exports == {"second": 2}


def test_config_and_secret_keys_reach_the_program() -> None:
    seen: list[tuple[object, bool]] = []

    def program() -> None:
        config = pulumi.Config("cloudlab")
        seen.append((config.get_object("obj"), pulumi.runtime.is_config_secret("cloudlab:obj")))

    run_program(program, {"cloudlab:obj": {"a": 1}}, secret_keys=["cloudlab:obj"])
    # The secret keys of one run do not leak into the next.
    run_program(program, {"cloudlab:obj": {"a": 2}})
    assert seen == [({"a": 1}, True), ({"a": 2}, False)]


def test_a_program_error_propagates_after_what_was_registered() -> None:
    recording = Recording()

    class BoomError(Exception):
        pass

    def program() -> None:
        pulumi.CustomResource("test:index:Thing", "before", {"x": 1})
        raise BoomError

    with pytest.raises(BoomError):
        run_program(program, recording=recording)
    assert [(r.typ, r.name, r.inputs) for r in recording] == [
        ("test:index:Thing", "before", {"x": 1})
    ]
