"""Shared fixtures: run the stack programs under Pulumi mocks."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness import Recording, run_program


@pytest.fixture
def run_stack() -> Callable[..., Recording]:
    """Run the whole program as ``__main__.py`` would, for a stack name and its config."""

    def run(
        stack: str, config: dict[str, Any] | None = None, recording: Recording | None = None
    ) -> Recording:
        import stacks

        def program() -> None:
            cfg = pulumi.Config("cloudlab")
            stacks.dispatch(cfg.get("environment") or stack, cfg)

        return run_program(program, config or {}, recording=recording)

    return run
