"""One secured twin for the guardrail tests (reachability, faults, load), on the real engine.

Up once per session; destroyed (and its Docker leftovers removed) at the end, also on failure.
Needs `make toolchain` and a running Docker engine: without them the tests fail, never skip.
Its stack name, subnets, port and helpers are in twin.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from components.dynamic.docker.cleanup import cleanup
from tests.engine.pulumi_project import docker_engine, make_project
from tests.engine.twins import GUARDRAILS
from tests.guardrails.twin import STACK, URL, Twin, wait_answer


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    client = docker_engine()
    cleanup(STACK)  # leftovers of an interrupted earlier run
    GUARDRAILS.require_free(client)
    project = make_project(tmp_path_factory.mktemp("guardrails"))
    project.stack(STACK, config_from="dev")
    twin = Twin(project, client, {})
    twin.configure()
    try:
        twin.up()
        twin.private_ips = json.loads(
            project.run("stack", "output", "privateIps", "--json", "--stack", STACK).stdout
        )
        wait_answer(URL, "(5+6)*2", "result = 22\r\n")
        yield twin
    finally:
        project.run("destroy", "--yes", "--skip-preview", "--stack", STACK, check=False)
        cleanup(STACK)
