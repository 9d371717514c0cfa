"""The Docker lab on the real Pulumi engine and the local Docker engine (docs/labs/docker.md).

up; ct1 up; ct2's sshd answering with an SSH banner on 127.0.0.1:2223 (and only there);
dockerpictures:version1 committed from ct2; ct3 from it with nano; the orchestration row
answering on 127.0.0.1:800; a second up changing nothing; destroy leaving nothing behind.
Needs `make toolchain`, the Docker engine, scripts/base-image.sh and scripts/lab-image.sh:
without them these tests fail.
"""

from __future__ import annotations

import socket
import subprocess
import urllib.request
from collections.abc import Iterator

import docker
import pytest

from components.dynamic.docker.cleanup import cleanup
from tests.engine.pulumi_project import PulumiProject, docker_engine, make_project

pytestmark = [pytest.mark.engine, pytest.mark.docker]

STACK = "dockerlabtest"
SNAPSHOT = "dockerpictures:version1"
NAMES = ("ct1", "ct2", "ct3")
LOCAL_IMAGES = {"cloudlab/base:bookworm": "base-image.sh", "cloudlab/lab:bookworm": "lab-image.sh"}


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def owned(client: docker.DockerClient) -> dict[str, list[str]]:
    label = {"label": f"cloudlab.stack={STACK}"}
    return {
        "containers": [c.name for c in client.containers.list(all=True, filters=label)],
        "networks": [n.name for n in client.networks.list(filters=label)],
        "images": [t for i in client.images.list(filters=label) for t in i.tags or [i.id]],
    }


def sh(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulumiProject]:
    client = docker_engine()
    for image, script in LOCAL_IMAGES.items():
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            pytest.fail(f"{image} missing: run scripts/{script}")
    cleanup(STACK, images=True)  # leftovers of an interrupted earlier run
    clashes = [c.name for c in client.containers.list(all=True) if c.name in NAMES]
    if clashes:
        pytest.fail(f"containers {clashes} already exist: destroy the dockerlab stack first")
    if any(SNAPSHOT in (i.tags or []) for i in client.images.list()):
        pytest.fail(f"{SNAPSHOT} already exists: destroy the dockerlab stack first")
    if not (port_free(2223) and port_free(800)):
        pytest.fail("127.0.0.1:2223 or :800 is taken: destroy the dockerlab stack first")
    project = make_project(tmp_path_factory.mktemp("dockerlab"))
    project.stack(STACK, config_from="dockerlab")
    try:
        project.run("up", "--yes", "--stack", STACK)
        yield project
    finally:
        project.run("destroy", "--yes", "--stack", STACK, check=False)
        cleanup(STACK, images=True)


def test_ct1_stays_up_on_the_default_bridge(lab: PulumiProject) -> None:
    ct1 = docker_engine().containers.get("ct1")
    assert ct1.status == "running"
    assert ct1.attrs["NetworkSettings"]["Networks"]["bridge"]["IPAddress"].startswith("172.17.")
    assert sh("docker", "exec", "ct1", "sh", "-c", "command -v nano").returncode != 0


def test_ct2_publishes_2223_on_loopback_only(lab: PulumiProject) -> None:
    ct2 = docker_engine().containers.get("ct2")
    assert ct2.attrs["HostConfig"]["PortBindings"] == {
        "22/tcp": [{"HostIp": "127.0.0.1", "HostPort": "2223"}]
    }
    assert lab.output("sshEndpoint", STACK) == "127.0.0.1:2223"


def test_sshd_answers_on_127_0_0_1_2223(lab: PulumiProject) -> None:
    with socket.create_connection(("127.0.0.1", 2223), timeout=10) as conn:
        conn.settimeout(10)
        banner = conn.recv(256)
    assert banner.startswith(b"SSH-2.0-OpenSSH"), banner
    assert sh("docker", "exec", "ct2", "sh", "-c", "command -v nano").returncode == 0


def test_the_snapshot_is_ct2_committed(lab: PulumiProject) -> None:
    client = docker_engine()
    snapshot = client.images.get(SNAPSHOT)
    assert snapshot.labels.get("cloudlab.stack") == STACK
    assert snapshot.attrs["Container"] == client.containers.get("ct2").id
    assert lab.output("snapshotImage", STACK) == SNAPSHOT


def test_ct3_runs_the_snapshot_and_has_nano(lab: PulumiProject) -> None:
    client = docker_engine()
    ct3 = client.containers.get("ct3")
    assert ct3.status == "running"
    assert ct3.image.id == client.images.get(SNAPSHOT).id
    res = sh("docker", "exec", "ct3", "sh", "-c", "command -v nano && nano --version")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("/usr/bin/nano")


def test_orchestration_row_answers_on_800(lab: PulumiProject) -> None:
    request = urllib.request.Request("http://127.0.0.1:800", data=b"(5+6)*2", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.read().decode() == "result = 22\r\n"
    assert lab.output("calculatorUrl", STACK) == "http://127.0.0.1:800"


def test_second_up_changes_nothing(lab: PulumiProject) -> None:
    lab.run("up", "--yes", "--expect-no-changes", "--stack", STACK)


def test_destroy_leaves_nothing_behind(lab: PulumiProject) -> None:
    lab.run("destroy", "--yes", "--stack", STACK)
    client = docker_engine()
    assert owned(client) == {"containers": [], "networks": [], "images": []}
    assert [c.name for c in client.containers.list(all=True) if c.name in NAMES] == []
    assert not any(SNAPSHOT in (i.tags or []) for i in client.images.list())
    assert port_free(2223) and port_free(800)
