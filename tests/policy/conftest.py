"""The policy pack's modules, importable by the tests (the pack runs as ``python policy``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
POLICY_DIR = REPO / "policy"
sys.path.insert(0, str(POLICY_DIR))
sys.path.insert(0, str(REPO / "tests" / "kubernetes"))  # k8s_support: mocks for tls/random
sys.path.insert(0, str(REPO / "tests" / "engine"))  # pulumi_project: the real engine


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
