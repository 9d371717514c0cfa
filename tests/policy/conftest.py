"""The policy pack's entry point as a module for the tests.

The pack runs as ``python policy`` (its directory first on ``sys.path``); the tests import its
modules (``cloudlab_policy``, ...) the same way, through pyproject's pytest ``pythonpath``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"


@pytest.fixture(scope="session")
def pack() -> ModuleType:
    """policy/__main__.py as a module (its ``main()`` is not run)."""
    spec = importlib.util.spec_from_file_location(
        "cloudlab_policy_pack", POLICY_DIR / "__main__.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
