"""Fixtures of the PaaS lab's mock tests: a WAR of their own, so they need no Maven build."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.paas.sample import sample_war


@pytest.fixture
def war(tmp_path: Path) -> Path:
    """A small App Engine WAR with Jetty's runner beside it (as `make servlet` leaves them)."""
    return sample_war(tmp_path)
