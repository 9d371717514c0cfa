"""Fixtures for the calculator micro-services: real servers on 127.0.0.1, ephemeral ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from services.calculator import calculator_app
from services.httpd import ServiceServer
from services.operand import OPERAND_SERVICES, operand_app
from tests.services.svc_support import running


@pytest.fixture(scope="session")
def operand_urls() -> Iterator[dict[str, str]]:
    """The four real operand services."""
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(running(operand_app(name), name)).url
            for name in OPERAND_SERVICES
        }


@pytest.fixture(scope="session")
def sum_url(operand_urls: dict[str, str]) -> str:
    return operand_urls["sum"]


@pytest.fixture(scope="session")
def calculator_url(operand_urls: dict[str, str]) -> Iterator[str]:
    """A calculator wired to the four real operand services."""
    with running(calculator_app(operand_urls, timeout=5), "calculator") as server:
        yield server.url


@pytest.fixture
def serve() -> Iterator[Callable[..., ServiceServer]]:
    """Start extra servers for one test: ``serve(app, name=..., **options)``."""
    with ExitStack() as stack:
        yield lambda app, name="test", **options: stack.enter_context(running(app, name, **options))
