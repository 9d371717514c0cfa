"""The Cloud Foundry stand-in on the real Pulumi engine and the local Docker engine.

In order, on one stack: the lab's manifest (256M) refused with the buildpack's message and
nothing created; 1G deployed and answering through the route; scaled 1 -> 3 with instance 0
untouched (same container, same start time) and every instance answering; a second up changing
nothing; destroy leaving nothing. Everything is checked through docker-py and HTTP. Needs
`make toolchain`, the Docker engine, scripts/jre-image.sh and `make servlet`: without them
these tests fail.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import docker
import pytest

from components.dynamic.docker.cleanup import cleanup
from components.paas.settings import war_file
from tests.engine.pulumi_project import PulumiProject, docker_engine, make_project

pytestmark = [pytest.mark.engine, pytest.mark.docker]

STACK = "cfenginetest"
APP = "cfenginetest-hello"
PORT = 18622
SUBNET = "10.123.0.0/24"
IMAGE = "cloudlab/jre:bookworm"
GIB = 1024**3


def owned(client: docker.DockerClient) -> dict[str, list[str]]:
    label = {"label": f"cloudlab.stack={STACK}"}
    return {
        "containers": sorted(c.name for c in client.containers.list(all=True, filters=label)),
        "networks": [n.name for n in client.networks.list(filters=label)],
        "images": [t for i in client.images.list(filters=label) for t in i.tags or [i.id]],
    }


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def names_seen(url: str, want: int, seconds: float = 90.0) -> set[str]:
    """Instance names answering through the route, until ``want`` were seen or time is up."""
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(seen) < want:
        try:
            line = get(url).strip()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
            continue
        assert line.startswith("hello from instance "), line
        seen.add(line.removeprefix("hello from instance "))
    return seen


def set_config(project: PulumiProject, key: str, value: str) -> None:
    project.run("config", "set", "--path", f"cloudlab:cloudfoundry.{key}", value, "--stack", STACK)


@pytest.fixture(scope="module")
def cf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulumiProject]:
    client = docker_engine()
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        pytest.fail(f"{IMAGE} missing: run scripts/jre-image.sh")
    war = war_file("apps/hello-servlet/target/hello.war")
    if not war.is_file() or not (war.parent / "jetty-runner.jar").is_file():
        pytest.fail("the servlet is not built: run `make servlet`")
    cleanup(STACK, images=True)  # leftovers of an interrupted earlier run
    if not port_free(PORT):
        pytest.fail(f"127.0.0.1:{PORT} is taken")
    project = make_project(tmp_path_factory.mktemp("cloudfoundry"), extra_dirs=("apps",))
    project.stack(STACK, config_from="cloudfoundry")
    set_config(project, "name", APP)
    set_config(project, "routePort", str(PORT))
    set_config(project, "subnet", SUBNET)
    try:
        yield project
    finally:
        project.run("destroy", "--yes", "--stack", STACK, check=False)
        cleanup(STACK, images=True)


def test_the_labs_256m_is_refused_before_anything_exists(cf: PulumiProject) -> None:
    res = cf.run("up", "--yes", "--stack", STACK, check=False)
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert (
        "invalid config cloudlab:cloudfoundry.memory: Cannot calculate JVM memory configuration: "
        "There is insufficient memory remaining for heap. Memory limit 256M is less than "
        "allocated memory 654457K (-XX:ReservedCodeCacheSize=240M, -XX:MaxDirectMemorySize=10M, "
        "-XX:MaxMetaspaceSize=75931K, -XX:CompressedClassSpaceSize=15326K, -Xss1M * 300 threads)"
    ) in " ".join(out.split())
    assert "640M or more" in out
    assert owned(docker_engine()) == {"containers": [], "networks": [], "images": []}
    state = json.loads(cf.run("stack", "export", "--stack", STACK).stdout)
    types = [r["type"] for r in state["deployment"].get("resources") or []]
    assert [t for t in types if not t.startswith("pulumi:")] == []


def test_raising_the_memory_deploys_one_instance_behind_the_route(cf: PulumiProject) -> None:
    set_config(cf, "memory", "1G")
    cf.run("up", "--yes", "--stack", STACK)
    url = cf.output("routeUrl", STACK)
    assert url == f"http://127.0.0.1:{PORT}"
    assert names_seen(url, 1) == {f"{APP}-0"}
    client = docker_engine()
    instance = client.containers.get(f"{APP}-0")
    assert instance.attrs["HostConfig"]["Memory"] == GIB
    assert instance.attrs["HostConfig"]["MemorySwap"] == GIB
    env = dict(e.split("=", 1) for e in instance.attrs["Config"]["Env"])
    assert env["JAVA_OPTS"].split()[0] == "-Xmx394118K"
    router = client.containers.get(f"{APP}-gateway")
    assert router.attrs["HostConfig"]["PortBindings"] == {
        "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(PORT)}]
    }
    assert router.attrs["HostConfig"]["Memory"] > 0
    top = router.top(ps_args="-o pid,user,args")
    users = [row[1] for row in top["Processes"] if "python3" in row[2]]
    assert users == ["nobody"]  # the router needs no root


def test_scaling_to_three_adds_instances_without_restarting_the_first(cf: PulumiProject) -> None:
    client = docker_engine()
    first = client.containers.get(f"{APP}-0")
    before = (first.id, first.attrs["State"]["StartedAt"])
    set_config(cf, "instances", "3")
    cf.run("up", "--yes", "--stack", STACK)
    first = client.containers.get(f"{APP}-0")
    assert (first.id, first.attrs["State"]["StartedAt"]) == before
    names = {f"{APP}-{i}" for i in range(3)}
    for name in names:
        assert client.containers.get(name).attrs["HostConfig"]["Memory"] == GIB
    assert names_seen(cf.output("routeUrl", STACK), 3) == names


def test_a_second_up_changes_nothing(cf: PulumiProject) -> None:
    cf.run("up", "--yes", "--expect-no-changes", "--stack", STACK)


def test_destroy_leaves_nothing(cf: PulumiProject) -> None:
    cf.run("destroy", "--yes", "--stack", STACK)
    assert owned(docker_engine()) == {"containers": [], "networks": [], "images": []}
    assert port_free(PORT)
