"""The App Engine dev server deployment on the real Pulumi engine.

One stack, in order: up with three instances, each answering "hello" under its own name on its
own port and through the module's port; the server a detached process recorded by PID and
start time; a second up changing nothing (the server untouched); a changed WAR redeploying;
scaling to two redeploying with two instances; a refresh after the server was killed seeing
it gone and the next up starting it again; destroy stopping it (its ports closed, its
process gone). Needs `make toolchain`, `make servlet` and the Google Cloud CLI's App Engine
Java component: without them these tests fail.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.dynamic.devappserver import alive
from components.paas.settings import war_file
from tests.engine.pulumi_project import PulumiProject, make_project

pytestmark = [pytest.mark.engine]

STACK = "gaeenginetest"
PORT = 18623
LAUNCHER = Path("/usr/lib/google-cloud-sdk/bin/java_dev_appserver.sh")


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode().strip()


def servers(project: PulumiProject) -> list[dict]:
    """The outputs of every DevAppServer in the stack's state."""
    res = project.run("stack", "export", "--stack", STACK, check=False)
    if res.returncode != 0:
        return []
    resources = json.loads(res.stdout)["deployment"].get("resources") or []
    return [
        r["outputs"]
        for r in resources
        if r["type"] == "pulumi-python:dynamic/cloudlab/appengine:DevAppServer"
    ]


def server(project: PulumiProject) -> dict:
    (outs,) = servers(project)
    return outs


@pytest.fixture(scope="module")
def gae(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulumiProject]:
    if not (os.access(LAUNCHER, os.X_OK) or shutil.which("gcloud")):
        pytest.fail("no Google Cloud CLI with java_dev_appserver.sh: install it")
    if not war_file("apps/hello-servlet/target/hello.war").is_file():
        pytest.fail("the servlet is not built: run `make servlet`")
    if not port_free(PORT):
        pytest.fail(f"127.0.0.1:{PORT} is taken")
    tmp = tmp_path_factory.mktemp("appengine")
    project = make_project(tmp, extra_dirs=("apps",))
    project.env["CLOUDLAB_HOME"] = str(tmp)  # the deployed copies of the app go there
    project.stack(STACK, config_from="appengine-local")
    project.run("config", "set", "--path", "cloudlab:appengineLocal.port", str(PORT))
    try:
        project.run("up", "--yes", "--stack", STACK)
        yield project
    finally:
        left = servers(project)
        project.run("destroy", "--yes", "--stack", STACK, check=False)
        for outs in left:  # a failed destroy must not leave a server running
            if alive(outs.get("pid"), outs.get("start_time")):
                os.killpg(outs["pid"], signal.SIGKILL)


def test_three_instances_answer_hello_each_named(gae: PulumiProject) -> None:
    outs = server(gae)
    assert outs["url"] == f"http://127.0.0.1:{PORT}/"
    assert len(outs["instance_urls"]) == 3
    names = [get(url) for url in outs["instance_urls"]]
    assert names == [f"hello from instance appengine-{i}" for i in range(3)]
    through_module = {get(outs["url"]) for _ in range(9)}
    assert through_module == set(names)
    for url in outs["instance_urls"]:
        assert url.startswith("http://127.0.0.1:")


def test_the_server_is_a_detached_process_recorded_by_pid_and_start_time(
    gae: PulumiProject,
) -> None:
    outs = server(gae)
    assert alive(outs["pid"], outs["start_time"])
    assert os.getsid(outs["pid"]) == outs["pid"]  # a session of its own: it outlived `up`


def test_a_second_up_changes_nothing(gae: PulumiProject) -> None:
    before = server(gae)
    gae.run("up", "--yes", "--expect-no-changes", "--stack", STACK)
    assert server(gae)["pid"] == before["pid"]


def test_a_changed_war_redeploys(gae: PulumiProject) -> None:
    before = server(gae)
    war = gae.workdir / "apps/hello-servlet/target/hello.war"
    with zipfile.ZipFile(war, "a") as archive:
        archive.writestr("changed.txt", "a new version of the app\n")
    gae.run("up", "--yes", "--stack", STACK)
    after = server(gae)
    assert after["pid"] != before["pid"]
    assert not alive(before["pid"], before["start_time"])
    deployed = Path(after["deployment_dir"]) / "app" / "changed.txt"
    assert deployed.read_text() == "a new version of the app\n"  # the new WAR is what runs
    assert not Path(before["deployment_dir"]).exists()
    assert get(after["url"]).startswith("hello from instance appengine-")


def test_scaling_to_two_redeploys_two_instances(gae: PulumiProject) -> None:
    gae.run("config", "set", "--path", "cloudlab:appengineLocal.instances", "2", "--stack", STACK)
    gae.run("up", "--yes", "--stack", STACK)
    outs = server(gae)
    assert [get(url) for url in outs["instance_urls"]] == [
        "hello from instance appengine-0",
        "hello from instance appengine-1",
    ]


def test_a_killed_server_is_seen_gone_and_started_again(gae: PulumiProject) -> None:
    outs = server(gae)
    os.killpg(outs["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(outs["pid"], outs["start_time"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    gae.run("up", "--yes", "--stack", STACK)
    again = server(gae)
    assert again["pid"] != outs["pid"]
    assert get(again["url"]).startswith("hello from instance appengine-")


def test_destroy_stops_the_server(gae: PulumiProject) -> None:
    outs = server(gae)
    gae.run("destroy", "--yes", "--stack", STACK)
    assert not alive(outs["pid"], outs["start_time"])
    assert port_free(PORT)
    assert all(port_free(int(url.rsplit(":", 1)[1].strip("/"))) for url in outs["instance_urls"])
    assert not Path(outs["deployment_dir"]).exists()
