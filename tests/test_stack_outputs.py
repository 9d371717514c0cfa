"""components/stack_outputs.py: the one way the code reads the stack's own previous outputs,
through the engine's built-in function, pinned to the version it was checked with."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

from components import stack_outputs
from tests.harness import run_program

REPO = Path(__file__).resolve().parents[1]


def test_the_installed_sdk_is_the_one_the_reader_was_checked_with() -> None:
    installed = importlib.metadata.version("pulumi")
    assert installed == stack_outputs.WRITTEN_FOR, (
        f"pulumi {installed} is installed, components/stack_outputs.py was checked with "
        f"{stack_outputs.WRITTEN_FOR}: check that the engine still has "
        f"{stack_outputs.READ_STACK_OUTPUTS} (or a public synchronous reader), then bump it"
    )


def test_the_pin_is_that_version() -> None:
    text = (REPO / "requirements.txt").read_text()
    assert re.findall(r"^pulumi==(\S+)$", text, re.M) == [stack_outputs.WRITTEN_FOR]


def test_it_reads_the_last_outputs_and_nothing_before_the_first_update() -> None:
    seen: dict[str, object] = {}

    def program() -> None:
        seen["outputs"] = dict(stack_outputs.previous_outputs())

    run_program(program, stack_outputs={"flavor": "small2"})
    assert seen["outputs"] == {"flavor": "small2"}
    run_program(program)
    assert seen["outputs"] == {}


def test_it_is_the_only_reader_of_the_stacks_own_outputs() -> None:
    """No StackReference to the stack itself (one named from ``get_stack()``), no second invoke
    of the engine's reader. A StackReference to another stack (a group's to its classroom) is
    no such reader."""
    readers = []
    for package in ("components", "stacks", "edge", "autonomic", "classroom"):
        for module in sorted((REPO / package).rglob("*.py")):
            text = module.read_text()
            own = "StackReference(" in text and "get_stack()" in text
            if own or "readStackOutputs" in text:
                readers.append(str(module.relative_to(REPO)))
    assert readers == ["components/stack_outputs.py"]
