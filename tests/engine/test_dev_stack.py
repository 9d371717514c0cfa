"""The default stack (``dev``: the Docker twin) on the real engine and the real Docker.

preview, up, every lab transcript through the published port on 127.0.0.1, a second up with no
change, the operand ports unpublished, destroy leaving nothing behind. The stack is the dev
config on subnets and a port of the test's own (tests/engine/twins.py), so a user's lab that
`make up` brought up may keep running meanwhile and is never touched. Needs `make toolchain` and a
running Docker engine: without them these tests fail.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator

import docker
import pytest

from components.dynamic.docker.cleanup import cleanup
from tests.engine.pulumi_project import PulumiProject, docker_engine, make_project
from tests.engine.twins import ENGINE

pytestmark = [pytest.mark.engine, pytest.mark.docker]

STACK = ENGINE.stack
URL = ENGINE.url
TRANSCRIPTS = {  # docs/labs/calculator.md, through the calculator
    "5+6": "result = 11\r\n",
    "5-6": "result = -1\r\n",
    "5*6": "result = 30\r\n",
    "5/6": "result = 0.8333333333333334\r\n",
    "(5+6)*2": "result = 22\r\n",
}
OPERAND_TRANSCRIPTS = {
    "sum": "11\r\n",
    "sub": "-1\r\n",
    "mul": "30\r\n",
    "div": "0.8333333333333334\r\n",
}


def post(url: str, body: str) -> str:
    request = urllib.request.Request(url, data=body.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def owned(client: docker.DockerClient) -> tuple[list, list]:
    label = {"label": f"cloudlab.stack={STACK}"}
    return client.containers.list(all=True, filters=label), client.networks.list(filters=label)


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulumiProject]:
    client = docker_engine()
    cleanup(STACK)  # leftovers of an interrupted earlier run
    ENGINE.require_free(client)
    project = make_project(tmp_path_factory.mktemp("dev"))
    project.stack(STACK, config_from="dev")
    ENGINE.write_config(project)
    try:
        yield project
    finally:
        project.run("destroy", "--yes", "--stack", STACK, check=False)
        cleanup(STACK)


@pytest.fixture(scope="module")
def up(twin: PulumiProject) -> PulumiProject:
    twin.run("preview", "--stack", STACK)
    twin.run("up", "--yes", "--stack", STACK)
    return twin


def test_up_exports_the_calculator_url(up: PulumiProject) -> None:
    assert up.output("calculatorUrl", STACK) == URL
    assert up.output("floatingIp", STACK) == "127.0.0.1"
    ips = json.loads(up.run("stack", "output", "privateIps", "--json", "--stack", STACK).stdout)
    assert ips["calculator"].rsplit(".", 1)[0] == ENGINE.prefix(ENGINE.frontend)
    assert {ips[op].rsplit(".", 1)[0] for op in OPERAND_TRANSCRIPTS} == {
        ENGINE.prefix(ENGINE.backend)
    }


@pytest.mark.parametrize(("expression", "reply"), TRANSCRIPTS.items())
def test_labs_transcripts_through_the_floating_ip(
    up: PulumiProject, expression: str, reply: str
) -> None:
    assert post(URL, expression) == reply


def test_operand_services_answer_inside_the_back_end(up: PulumiProject) -> None:
    """The operands' own transcripts, asked from the calculator container (the lab's
    gateway): traffic stays between the project's containers."""
    ips = json.loads(up.run("stack", "output", "privateIps", "--json", "--stack", STACK).stdout)
    ports = {"sum": 50001, "sub": 50002, "mul": 50003, "div": 50004}
    for op, reply in OPERAND_TRANSCRIPTS.items():
        code = (
            f"import urllib.request as u; print(u.urlopen(u.Request("
            f"'http://{ips[op]}:{ports[op]}/', data=b'5 6'), timeout=5).read().decode(), "
            f"end='')"
        )
        out = subprocess.run(
            ["docker", "exec", f"calc-{STACK}-calculator", "python3", "-c", code],
            capture_output=True,
            timeout=30,
            check=True,
        ).stdout.decode()
        assert out == reply, op


def test_only_the_calculator_is_published(up: PulumiProject) -> None:
    containers, networks = owned(docker_engine())
    published = {c.name: c.attrs["HostConfig"].get("PortBindings") or {} for c in containers}
    assert published.pop(f"calc-{STACK}-calculator") == {
        f"{ENGINE.public_port}/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(ENGINE.public_port)}]
    }
    assert set(published) == {f"calc-{STACK}-{n}" for n in ("router", *OPERAND_TRANSCRIPTS)}
    assert all(bindings == {} for bindings in published.values())
    assert sorted(n.name for n in networks) == [f"calc-{STACK}-backend", f"calc-{STACK}-frontend"]


def test_containers_name_their_image(up: PulumiProject) -> None:
    """`docker ps` shows cloudlab/calculator:<stack>, not a bare image id."""
    containers, _ = owned(docker_engine())
    image = docker_engine().images.get(f"cloudlab/calculator:{STACK}")
    assert len(containers) == 6
    for container in containers:
        assert container.attrs["Config"]["Image"] == f"cloudlab/calculator:{STACK}", container.name
        assert container.image.id == image.id
        assert container.labels["cloudlab.image-id"] == image.id


def test_second_up_changes_nothing(up: PulumiProject) -> None:
    res = up.run("up", "--yes", "--expect-no-changes", "--stack", STACK)
    assert "unchanged" in res.stdout


def test_destroy_leaves_nothing_behind(up: PulumiProject) -> None:
    up.run("destroy", "--yes", "--stack", STACK)
    containers, networks = owned(docker_engine())
    assert (containers, networks) == ([], [])
