"""Every apt step of the project, as a fresh machine meets it: in a new container of the base
image (Debian with none of the packages), ``scripts/apt-install.sh --step NAME`` installs the
step's packages, and afterwards nothing listens and no daemon is left running.

Why: the system services that Debian's packages ship must never run beside cloudlab's own
(which bind 127.0.0.1 with their data in the state directory). A postinst starts its service
unless a policy forbids it, and an init script's ``stop`` can start more than it stops
(rabbitmq's starts the system epmd on 0.0.0.0:4369). A machine that had the packages already
cannot show that: this test can, and runs in CI. Downloads are cached between runs in
``~/.cache/cloudlab/apt-archives``. Needs a Docker engine and the base image: fails without.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from components.dynamic.docker import docker_client
from tests.engine.pulumi_project import REPO

pytestmark = pytest.mark.docker

BASE_IMAGE = "cloudlab/base:bookworm"
APT_INSTALL = REPO / "scripts" / "apt-install.sh"
ARCHIVES = Path.home() / ".cache" / "cloudlab" / "apt-archives"
STEPS = subprocess.run(
    [str(APT_INSTALL), "--list"], capture_output=True, text=True, check=True
).stdout.split()


@pytest.fixture(scope="module")
def engine() -> docker.DockerClient:
    client = docker_client()
    try:
        client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        pytest.fail(f"{BASE_IMAGE} missing: run `make base-image`")
    return client


@pytest.fixture
def fresh(engine: docker.DockerClient) -> Iterator:
    """A new container of the base image, the checkout mounted read-only at /src."""
    (ARCHIVES / "partial").mkdir(parents=True, exist_ok=True)
    container = engine.containers.run(
        BASE_IMAGE,
        ["sleep", "infinity"],
        detach=True,
        init=False,
        labels={"cloudlab.test": "apt-steps"},
        volumes={
            str(REPO): {"bind": "/src", "mode": "ro"},
            str(ARCHIVES): {"bind": "/var/cache/apt/archives", "mode": "rw"},
        },
    )
    try:
        yield container
    finally:
        container.remove(force=True)


END = "--cloudlab-end-of-output--"


def run(container, *argv: str) -> str:
    """``argv``'s output in the container; it must exit 0. The output ends with a marker line, so
    that output lost on the way (seen with exec on a loaded engine) is retried, never taken for
    an empty answer."""
    script = '"$@"; code=$?; echo; echo ' + END + "; exit $code"
    for _attempt in range(3):
        code, output = container.exec_run(["sh", "-c", script, "sh", *argv])
        text = output.decode(errors="replace")
        assert code == 0, f"{' '.join(argv)} exited {code}:\n{text[-4000:]}"
        if END in text:
            return text[: text.rindex(END)].rstrip("\n")
    pytest.fail(f"{' '.join(argv)}: no complete output in 3 tries")


def processes(container) -> list[str]:
    """Every process in the container but its PID 1 (``sleep``) and the ``ps`` asking (with
    the shell of :func:`run` around it)."""
    rows = run(container, "ps", "-eo", "pid=,comm=,args=").splitlines()
    return [
        r.strip() for r in rows if r.split()[0] != "1" and r.split()[1] != "ps" and END not in r
    ]


def listening(container) -> list[str]:
    """TCP sockets in LISTEN state and bound UDP sockets of the container's network namespace."""
    rows = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        lines = run(container, "cat", f"/proc/net/{table}").splitlines()[1:]
        rows += [
            f"{table} {ln.split()[1]}"
            for ln in lines
            if table.startswith("udp") or ln.split()[3] == "0A"
        ]
    return rows


def git_grep(pattern: str, *where: str) -> str:
    """``git grep -n -e pattern`` over ``where`` (default: the machine set-up's files)."""
    where = where or ("scripts", "localcloud", "Makefile")
    argv = ["git", "-C", str(REPO), "grep", "-n", "-e", pattern, "--", *where]
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout


def test_every_step_is_run_by_the_project_and_no_apt_get_bypasses_them() -> None:
    """What this file tests is what the project runs: each step has a caller, and the machine
    set-up (scripts, local clouds, Makefile) calls apt-get nowhere but in apt-install.sh."""
    callers = git_grep("--step", "scripts", "localcloud", "Makefile", "tests") + git_grep(
        "APT_STEP = "
    )
    for step in STEPS:
        called = (f"--step {step}", f'APT_STEP = "{step}"', f'"--step", "{step}"')
        assert any(c in callers for c in called), step
    bypass = [
        line
        for line in git_grep("apt-get install").splitlines()
        if not line.startswith("scripts/apt-install.sh:")
    ]
    assert bypass == []


@pytest.mark.parametrize("step", STEPS)
def test_step_in_a_fresh_container_leaves_nothing_running(fresh, step: str) -> None:
    assert processes(fresh) == [] and listening(fresh) == []
    missing = run(fresh, "/src/scripts/apt-install.sh", "--missing", step).split()
    assert missing, f"the base image already has step {step}'s packages: not a fresh machine"
    run(fresh, "/src/scripts/apt-install.sh", "--step", step)
    assert run(fresh, "/src/scripts/apt-install.sh", "--missing", step).strip() == ""
    assert processes(fresh) == [], f"step {step} left processes running"
    assert listening(fresh) == [], f"step {step} left sockets open"
    # Our policy-rc.d is gone again (the base image has none).
    code, _ = fresh.exec_run(["test", "-e", "/usr/sbin/policy-rc.d"])
    assert code == 1
