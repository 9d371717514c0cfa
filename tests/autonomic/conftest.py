"""Fixtures of the autonomic tests: a fake Proxmox API on 127.0.0.1 over TLS."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autonomic.client import Credentials
from autonomic.log import DecisionLog
from autonomic.settings import AutonomicSettings
from components.proxmox.settings import ProxmoxSettings, parse_proxmox_settings
from tests.autonomic.fake_pve import FakeProxmox, make_certificate


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(autouse=True)
def _local_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fake is on 127.0.0.1; never let a proxy from the environment get in the way.
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def fake(certificate: tuple[Path, Path]) -> Iterator[FakeProxmox]:
    server = FakeProxmox()
    server.start(*certificate)
    yield server
    server.stop()


@pytest.fixture
def env(fake: FakeProxmox) -> dict[str, str]:
    return {"PROXMOX_VE_ENDPOINT": fake.url, "PROXMOX_VE_API_TOKEN": fake.token}


@pytest.fixture
def api(fake: FakeProxmox, env: dict[str, str], certificate: tuple[Path, Path]) -> Any:
    return Credentials.from_env(env, ca_file=str(certificate[0])).connect(timeout=5)


@pytest.fixture
def settings() -> ProxmoxSettings:
    return parse_proxmox_settings({"group": "g07", "baseId": 42})


@pytest.fixture
def timing() -> AutonomicSettings:
    return AutonomicSettings(
        interval=0.01, poll_interval=0.01, task_timeout=2.0, attempts=3, backoff=0.01
    )


class Log(DecisionLog):
    """A decision log kept in memory, with the records parsed back."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def of(self, event: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["event"] == event]


@pytest.fixture
def log() -> Log:
    return Log()
